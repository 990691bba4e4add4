// NAT and firewall hand-off (see nat_handoff.hpp). The owner is known from one port alone: a LAN packet's source
// port, a reply's destination port, because each worker makes the mappings of the inside ports p with p % workers
// == its id and hands out only such external ports (nat_session_table.hpp); so a worker never looks into another's
// table, it passes the packet, as egress passes packets to a link's owner.
#include "dataplane/nat_handoff.hpp"

#include <rte_ring.h>

#include "dataplane/general_path.hpp"
#include "dataplane/handed_prefetch.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {
namespace {

inline constexpr uint32_t kInboxBurstsPerLoop = 4;  // how much an owner takes from its inbox per loop

void flush_stage(WorkerContext& w, uint16_t owner) {
  NatHandoff& h = w.nat_handoff;
  const uint16_t n = h.n_stage[owner];
  if (n == 0) return;
  h.n_stage[owner] = 0;
  rte_ring* r = h.inbox[owner];
  const unsigned sent =
      r == nullptr ? 0 : rte_ring_mp_enqueue_burst(r, reinterpret_cast<void**>(h.stage[owner]), n, nullptr);
  w.counters.handoff_sent.add(sent);
  if (sent != 0) wake_worker(w, owner);
  for (uint16_t i = static_cast<uint16_t>(sent); i < n; i++) {
    rte_mbuf* m = h.stage[owner][i];
    drop_packet(w, m, meta_of(m)->port, DropReason::nat_handoff_full);
  }
}

// Runs handed-over packets through the WAN path, in runs of the same link (a burst may mix links); LAN packets (a
// routed link's, whose firewall session is ours) finish their send here.
void route_received(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
  uint16_t start = 0;
  for (uint16_t i = 1; i <= n; i++) {
    if (i < n && meta_of(pkts[i])->port == meta_of(pkts[start])->port) continue;
    const uint8_t pi = meta_of(pkts[start])->port;
    if (pi == 0) {
      for (uint16_t j = start; j < i; j++) lan_send_handed(w, snap, pkts[j], now_tsc);
      start = i;
      continue;
    }
    wan_route_burst(w, snap, static_cast<uint8_t>(pi - 1), pkts + start, static_cast<uint16_t>(i - start), now_tsc);
    start = i;
  }
}

}  // namespace

void nat_handoff_stage(WorkerContext& w, uint16_t owner, rte_mbuf* m) {
  NatHandoff& h = w.nat_handoff;
  if (h.n_stage[owner] == kBurst) flush_stage(w, owner);
  h.stage[owner][h.n_stage[owner]++] = m;
}

void nat_handoff_service(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc) {
  NatHandoff& h = w.nat_handoff;
  // Every stage, not just n_workers of them: a stage is never left holding packets, whatever the set-up.
  for (uint16_t o = 0; o < kMaxWorkers; o++) flush_stage(w, o);
  rte_ring* inbox = h.inbox[w.worker_id];
  if (inbox == nullptr) return;
  rte_mbuf* pkts[kBurst];
  for (uint32_t b = 0; b < kInboxBurstsPerLoop; b++) {
    const unsigned n = rte_ring_sc_dequeue_burst(inbox, reinterpret_cast<void**>(pkts), kBurst, nullptr);
    w.counters.handoff_received.add(n);
    if (n == 0) break;
    prefetch_handed(pkts, n, true);
    route_received(w, snap, pkts, static_cast<uint16_t>(n), now_tsc);
    if (n < kBurst) break;
  }
}

void nat_handoff_drain(WorkerContext& w) {
  NatHandoff& h = w.nat_handoff;
  for (uint16_t o = 0; o < kMaxWorkers; o++) {
    for (uint16_t i = 0; i < h.n_stage[o]; i++) {
      rte_mbuf* m = h.stage[o][i];
      drop_packet(w, m, meta_of(m)->port, DropReason::shutdown_flush);
    }
    h.n_stage[o] = 0;
  }
}

}  // namespace wansteer
