// Egress of LAN->WAN packets: hand-off to the link's owner core, per (class, link) meter, and the link's
// strict-priority shaper at its upstream capacity, feeding the worker's tx staging (tx_enqueue).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/nat_handoff.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

inline constexpr uint32_t kHandoffBurstsPerLoop = 4;  // how much a link's owner takes from its hand-off ring per loop

// The most one worker loop can bring to one link's egress, in bytes: the LAN port's rx burst, the LAN frames other
// workers hand over through the NAT inbox, and the link's hand-off ring, each packet at most a jumbo frame plus
// what fragmenting it or an overlay header adds (far less than 1 KB). About 2.9 MB.
inline constexpr uint64_t kEgressLoopMaxBytes =
    uint64_t{1 + kInboxBurstsPerLoop + kHandoffBurstsPerLoop} * kBurst * (kMaxFrameBytes + 1024);

// A rewritten packet (meta class_id set) is ready for WAN link `link`. Owned links: metered and queued (or sent)
// now; other links: staged for the owner's hand-off ring. Never blocks; every drop is counted. Packets that need
// none of this do not come here: their route is direct (send_on_route in route_send.hpp).
void egress_submit(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, uint64_t now_tsc);

// Once per worker loop, after forwarding: pushes staged hand-offs, takes in what other workers handed over,
// refills every owned shaper's bucket and releases queued packets, highest priority first, while tokens allow.
void egress_service(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc);

// Frees every packet this worker still holds in shaper queues or hand-off staging (at shutdown), counted as
// shutdown_flush drops.
void egress_drain(WorkerContext& w);

// Control thread, before launch and after stop (defined in setup/egress_rings.cpp):
// Creates the per-link hand-off rings for n_workers > 1 (none are needed for one worker) and points every
// worker's WorkerEgress at them. `rings` receives them, to free with egress_rings_free after workers stop.
bool egress_rings_create(std::vector<WorkerContext*>& workers, uint32_t n_links, int socket,
                         std::vector<rte_ring*>& rings, std::string* error);
// Frees the packets left in the rings and the rings themselves.
void egress_rings_free(std::vector<rte_ring*>& rings);

}  // namespace wansteer
