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

void flush_stage(WorkerContext& w, uint16_t owner) {
  NatHandoff& h = w.nat_handoff;
  const uint16_t n = h.n_stage[owner];
  if (n == 0) return;
  h.n_stage[owner] = 0;
  h.staged &= ~(uint32_t{1} << owner);
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

// The kind of a handed-over packet, runs of which are served together: a WAN packet (its port index), a LAN frame
// handed on receipt (kLanFrame), or a LAN packet handed after steering (port 0).
inline uint16_t kind_of(rte_mbuf* m) {
  constexpr uint16_t kLanFrame = 0x100;
  const PacketMeta* meta = meta_of(m);
  return meta->port == 0 && (meta->flags & PacketMeta::kFlagLanFrame) != 0 ? kLanFrame : meta->port;
}

// Runs handed-over packets, in runs of one kind (a burst may mix them): WAN packets through the WAN path of their
// link; LAN frames through the LAN path, as if received here; LAN packets (whose NAT mapping or firewall session
// is ours) finish their send here.
void route_received(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
  uint16_t start = 0;
  for (uint16_t i = 1; i <= n; i++) {
    if (i < n && kind_of(pkts[i]) == kind_of(pkts[start])) continue;
    const uint16_t kind = kind_of(pkts[start]);
    const auto run = static_cast<uint16_t>(i - start);
    if (kind > kMaxPorts)
      lan_receive_handed(w, snap, pkts + start, run, now_tsc);
    else if (kind == 0)
      for (uint16_t j = start; j < i; j++) lan_send_handed(w, snap, pkts[j], now_tsc);
    else
      wan_route_burst(w, snap, static_cast<uint8_t>(kind - 1), pkts + start, run, now_tsc);
    start = i;
  }
}

}  // namespace

void nat_handoff_stage(WorkerContext& w, uint16_t owner, rte_mbuf* m) {
  NatHandoff& h = w.nat_handoff;
  if (h.n_stage[owner] == kBurst) flush_stage(w, owner);
  h.stage[owner][h.n_stage[owner]++] = m;
  h.staged |= uint32_t{1} << owner;
}

void nat_handoff_service(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc) {
  NatHandoff& h = w.nat_handoff;
  // Every stage holding packets (its bit in `staged`), not just n_workers of them: a stage is never left holding
  // packets, whatever the set-up; and a loop that staged nothing (one worker, always) pays one test, not 16 calls.
  for (uint32_t s = h.staged; s != 0; s &= s - 1) flush_stage(w, static_cast<uint16_t>(__builtin_ctz(s)));
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
  h.staged = 0;
}

}  // namespace wansteer
