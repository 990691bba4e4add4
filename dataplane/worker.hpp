// The worker lcore: one run-to-completion loop over every port's rx queue, with per-core state only.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

#include <rte_ethdev.h>

#include "dataplane/arp_rate_limit.hpp"
#include "dataplane/counters.hpp"
#include "dataplane/egress_state.hpp"
#include "dataplane/flow_cache.hpp"
#include "dataplane/icmp_error_budget.hpp"
#include "dataplane/idle_backoff.hpp"
#include "dataplane/idle_wake.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/nat_handoff.hpp"
#include "dataplane/nat_session_table.hpp"
#include "dataplane/overlay/overlay_core.hpp"
#include "dataplane/route_table.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/tx_queue.hpp"

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

namespace wansteer {

// Everything one worker owns. Allocated on its socket, cache-line aligned; other threads only read counters.
struct alignas(64) WorkerContext {
  // set up by control before launch, read-only afterwards
  uint16_t worker_id = 0;        // 0..n_workers-1, also the QSBR thread id and the queue index on every port
  uint8_t n_ports = 0;           // LAN + links
  uint16_t port_ids[kMaxPorts];  // index 0 = LAN, i+1 = link i
  const SnapshotSlot* slot = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  rte_ring* to_control = nullptr;    // mbufs handed to control (multi-producer: all workers)
  rte_ring* from_control = nullptr;  // mbufs control wants sent (worker 0 only; m->port holds the port index)
  const std::atomic<bool>* stop = nullptr;
  std::unique_ptr<FlowCache> flows;
  // LAN packets of cached flows go through the fast lane (dataplane/fast_lane.hpp) before the general path.
  // Off in tests that run the same traffic through both and compare, and with wansteer --no-fast-lane.
  bool fast_lane = true;
  // Adaptive polling: an idle worker naps in the kernel (dataplane/idle_backoff.hpp) instead of spinning at 100 %
  // of a core. Off with wansteer --busy-poll: every iteration polls at once, the lowest latency at any rate.
  bool adaptive_poll = true;
  uint64_t max_nap_ns = IdleBackoffConfig{}.max_nap_ns;  // the longest nap (wansteer --max-nap-us)
  // Wake on arrival: set when every port the workers poll can ring a doorbell (af_packet ports); the worker then
  // sleeps until a frame, a kick (from control, or from a worker that handed it packets) or kWakeTimeoutMs instead of
  // napping on a timer. Null: timed naps (other port types, wansteer --no-wake-on-rx). Others read `asleep` in it.
  std::unique_ptr<IdleWake> wake;
  // Every worker's `wake` (null: none sleeps until a packet), for the kick after a hand-off (wake_worker).
  IdleWake* wake_of[kMaxWorkers] = {};
  // owned by the worker: its NAT sessions (dataplane/nat_session_table.hpp); null only in tests without NAT links
  std::unique_ptr<NatSessionTable> nat;
  // shared pools (thread-safe per-lcore caches) for fragmenting IPv4 packets over a link's MTU: fragment headers
  // (direct) and the references into the original's data (indirect, no data room); null: never fragment
  rte_mempool* frag_direct = nullptr;
  rte_mempool* frag_indirect = nullptr;
  // owned by the worker: WAN replies of other workers' sessions, staged for their inboxes (dataplane/nat_handoff.hpp)
  NatHandoff nat_handoff;

  // owned by the worker: its WireGuard state (AEAD context, send counters, replay windows) for the overlay stages;
  // made at set-up whether or not the policy has an overlay (a reload may add one); null only in tests without it
  std::unique_ptr<OverlayCore> overlay;

  // owned by the worker: per-port transmit staging, flushed at the end of every poll iteration
  TxQueue tx[kMaxPorts];

  // How LAN->WAN packets leave, per (class, link), for the current snapshot: the fast lane and the general path
  // both send through it (dataplane/route_table.hpp). Rebuilt by this worker when the snapshot changes.
  RouteTable routes;

  // owned by the worker: meters and shapers of the links it owns, hand-off staging (dataplane/egress.cpp)
  WorkerEgress egress;

  // owned by the worker: ARP it hands to control, LAN and WAN together (dataplane/arp_rate_limit.hpp)
  ArpRateLimit arp_limit;
  // owned by the worker: how many ICMP errors it may send now (dataplane/icmp_error_budget.hpp)
  IcmpErrorBudget icmp_errors;

  WorkerCounters counters;  // dp: rw (this worker), cp: ro
};

// rte_eal_remote_launch entry point; arg is a WorkerContext*.
int worker_main(void* arg);

// One poll iteration over all ports (exposed so tests can drive a worker without launching an lcore).
// Returns the number of packets it took in: received on its ports, from other workers' hand-offs, from control.
uint32_t worker_poll_once(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc);

// Counts pkts[0..n) as received on port index `pi` (the fast lanes count their burst as they check it).
inline void count_rx(WorkerContext& w, uint8_t pi, rte_mbuf* const* pkts, uint16_t n) {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; i++) bytes += pkts[i]->pkt_len;
  w.counters.port[pi].rx_packets.add(n);
  w.counters.port[pi].rx_bytes.add(bytes);
}

// Sends what is staged for port index `pi`; what the driver refuses is freed and counted as tx_full.
void tx_flush(WorkerContext& w, uint8_t pi);
// Stages a packet for transmission on port index `pi` (0 = LAN); flushes when the stage is full. `cls`: the class
// of a LAN->WAN packet, counted in class x link once sent; kNoClass for everything else.
inline void tx_enqueue(WorkerContext& w, uint8_t pi, rte_mbuf* m, uint8_t cls = kNoClass) {
  TxQueue& q = w.tx[pi];
  if (q.n == 2 * kBurst) tx_flush(w, pi);
  q.stage(m, cls);
}
// Sends everything staged; what the driver refuses is freed and counted as tx_full.
void tx_flush_all(WorkerContext& w);

// After handing packets to worker `id` (an egress or NAT hand-off ring): wakes it if it sleeps until a packet, since
// no doorbell rings for them. Once per flushed stage, not per packet; nothing when workers nap on a timer.
inline void wake_worker(const WorkerContext& w, uint16_t id) {
  if (IdleWake* k = w.wake_of[id]) k->kick_if_asleep();
}
// Frees a packet and counts it under `reason` and as a drop on port index `pi`.
void drop_packet(WorkerContext& w, rte_mbuf* m, uint8_t pi, DropReason reason);
// Hands a packet to the control thread (ARP, unresolved neighbour); counts control_ring_full if it can't.
void hand_to_control(WorkerContext& w, rte_mbuf* m, uint8_t pi, uint8_t why);
// Hands an ARP frame to control within the worker's ARP rate; beyond it drops it as arp_rate_limited.
void hand_arp_to_control(WorkerContext& w, rte_mbuf* m, uint8_t pi, uint64_t now_tsc);

}  // namespace wansteer
