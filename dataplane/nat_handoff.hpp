// Hand-off between workers of what another worker's NAT or firewall sessions decide: a LAN packet whose source
// endpoint another worker owns (inside port % workers: it makes that endpoint's mappings, on NAT links, or firewall
// sessions, on routed links), and a WAN reply that RSS gave to a worker other than the one that made its mapping
// (external port % workers, the same worker: it hands out only such ports), through the owner's single-consumer ring.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/limits.hpp"

struct rte_mbuf;
struct rte_ring;

namespace wansteer {

struct DataplaneSnapshot;
struct WorkerContext;

inline constexpr uint32_t kInboxBurstsPerLoop = 4;  // how much an owner takes from its inbox per loop

// Per worker. Every worker may push into every inbox; only the inbox's worker takes from it (no lock).
struct NatHandoff {
  uint16_t n_workers = 1;              // set before launch; 1 = every reply is ours, nothing is handed over
  rte_ring* inbox[kMaxWorkers] = {};   // per worker, multi-producer / single-consumer; null with 1 worker
  uint16_t n_stage[kMaxWorkers] = {};  // replies for other workers, pushed once per loop (whole bursts)
  uint32_t staged = 0;                 // bit o: stage[o] holds packets (the loop visits only those stages)
  static_assert(kMaxWorkers <= 32, "one bit per worker in staged");
  rte_mbuf* stage[kMaxWorkers][kBurst];  // parsed WAN packets (meta port = the link's port index)
};

// Stages a parsed WAN packet for worker `owner`'s inbox; a full stage is pushed now.
void nat_handoff_stage(WorkerContext& w, uint16_t owner, rte_mbuf* m);

// Once per worker loop: pushes the stages (a full inbox is a counted drop, nat_handoff_full), then takes what
// other workers handed over and runs it through the WAN path of the link it arrived on, now on its owner.
void nat_handoff_service(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc);

// Frees what is still staged (at shutdown), counted as shutdown_flush drops.
void nat_handoff_drain(WorkerContext& w);

// Control thread, before launch (defined in setup/nat_handoff_rings.cpp): one inbox per worker when there are
// several, every worker pointed at all of them. `rings` receives them, to free (packets too) with
// egress_rings_free after the workers stop.
bool nat_handoff_rings_create(std::vector<WorkerContext*>& workers, int socket, std::vector<rte_ring*>& rings,
                              std::string* error);

}  // namespace wansteer
