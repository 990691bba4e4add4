// Worker lcore loop: rx burst per port -> fast lane (LAN: cached flows; WAN: replies to NAT sessions) -> parse ->
// general path; tx staged per port, flushed once per iteration; reports an RCU quiescent state every iteration so
// control can free old snapshots; when idle (adaptive polling, dataplane/idle_backoff.hpp) and no work is pending,
// sleeps until a packet arrives where the ports allow it (dataplane/idle_wake.hpp), else naps on a timer.
#include "dataplane/worker.hpp"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/egress.hpp"
#include "dataplane/fast_lane.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/wan_fast_lane.hpp"

namespace wansteer {

void drop_packet(WorkerContext& w, rte_mbuf* m, uint8_t pi, DropReason reason) {
  w.counters.drop[static_cast<uint32_t>(reason)].inc();
  w.counters.port[pi].drops.inc();
  rte_pktmbuf_free(m);
}

void hand_to_control(WorkerContext& w, rte_mbuf* m, uint8_t pi, uint8_t why) {
  meta_of(m)->cp_reason = why;
  if (w.to_control == nullptr || rte_ring_mp_enqueue(w.to_control, m) != 0) {
    drop_packet(w, m, pi, DropReason::control_ring_full);
    return;
  }
  w.counters.to_control.inc();
}

void hand_arp_to_control(WorkerContext& w, rte_mbuf* m, uint8_t pi, uint64_t now_tsc) {
  if (!w.arp_limit.take(now_tsc)) {
    drop_packet(w, m, pi, DropReason::arp_rate_limited);
    return;
  }
  hand_to_control(w, m, pi, PacketMeta::kToControlArp);
}

void tx_flush(WorkerContext& w, uint8_t pi) {
  TxQueue& q = w.tx[pi];
  if (q.n == 0) return;
  uint16_t sent = rte_eth_tx_burst(w.port_ids[pi], w.worker_id, q.pkts, q.n);
  if (sent < q.n) sent += rte_eth_tx_burst(w.port_ids[pi], w.worker_id, q.pkts + sent, q.n - sent);
  // q.bytes counted every staged packet; the ones the driver refused are still ours to read and free.
  uint64_t bytes = q.bytes;
  for (uint16_t i = sent; i < q.n; i++) {
    const uint32_t len = q.pkts[i]->pkt_len;
    bytes -= len;
    if (q.cls[i] < kMaxClasses) {
      q.class_packets[q.cls[i]]--;
      q.class_bytes[q.cls[i]] -= len;
    }
    drop_packet(w, q.pkts[i], pi, DropReason::tx_full);
  }
  w.counters.port[pi].tx_packets.add(sent);
  w.counters.port[pi].tx_bytes.add(bytes);
  // class x link counts what the NIC took: steered packets dropped later (meter, queue, tx) never count there.
  for (uint32_t s = q.classes; s != 0; s &= s - 1) {
    const auto cls = static_cast<uint32_t>(__builtin_ctz(s));
    if (pi != 0) {
      ClassLinkCounters& c = w.counters.class_link[cls][pi - 1];
      c.packets.add(q.class_packets[cls]);
      c.bytes.add(q.class_bytes[cls]);
    }
    q.class_packets[cls] = 0;
    q.class_bytes[cls] = 0;
  }
  q.classes = 0;
  q.n = 0;
  q.bytes = 0;
}

void tx_flush_all(WorkerContext& w) {
  for (uint8_t pi = 0; pi < w.n_ports; pi++) tx_flush(w, pi);
}

// Packets control asked this worker to send (ARP requests and replies). Only worker 0 has the ring.
// Returns how many it took.
static unsigned drain_from_control(WorkerContext& w) {
  if (w.from_control == nullptr) return 0;
  rte_mbuf* pkts[kBurst];
  unsigned n = rte_ring_sc_dequeue_burst(w.from_control, reinterpret_cast<void**>(pkts), kBurst, nullptr);
  for (unsigned i = 0; i < n; i++) {
    uint8_t pi = static_cast<uint8_t>(pkts[i]->port);
    if (pi >= w.n_ports) {
      drop_packet(w, pkts[i], 0, DropReason::no_route);
      continue;
    }
    tx_enqueue(w, pi, pkts[i]);
  }
  return n;
}

// The general path for parsed LAN packets, its stages in order (dataplane/general_path.hpp).
static void lan_general_path(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                             uint64_t now_tsc) {
  n = lan_admit_burst(w, snap, pkts, n, now_tsc);
  if (n == 0) return;
  FlowEntry* entry[kBurst];
  flow_steer_burst(w, snap, pkts, n, now_tsc, entry);
  host_pair_steer_burst(w, snap, pkts, n, now_tsc);
  lan_send_burst(w, snap, pkts, n, entry, now_tsc);
}

void lan_receive_handed(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                        uint64_t now_tsc) {
  if (w.fast_lane && w.flows) n = lan_fast_lane(w, snap, pkts, n, now_tsc, false);
  if (n != 0) n = parse_burst(pkts, n, 0, w.counters);
  if (n != 0) lan_general_path(w, snap, pkts, n, now_tsc);
}

uint32_t worker_poll_once(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc) {
  uint32_t total = 0;
  rte_mbuf* pkts[kBurst];
  for (uint8_t pi = 0; pi < w.n_ports; pi++) {
    uint16_t n = rte_eth_rx_burst(w.port_ids[pi], w.worker_id, pkts, kBurst);
    if (n == 0) continue;
    total += n;
    if (pi == 0 && w.fast_lane && w.flows) {
      n = lan_fast_lane(w, snap, pkts, n, now_tsc);  // counts rx; forwards cached IPv4 flows, leaves the others
      if (n == 0) continue;
    } else if (pi != 0 && w.fast_lane) {
      // counts rx; forwards replies to this worker's NAT sessions, leaves the others
      n = wan_fast_lane(w, snap, static_cast<uint8_t>(pi - 1), pkts, n, now_tsc);
      if (n == 0) continue;
    } else {
      count_rx(w, pi, pkts, n);
    }
    n = parse_burst(pkts, n, pi, w.counters);
    if (n == 0) continue;
    if (pi == 0)
      lan_general_path(w, snap, pkts, n, now_tsc);
    else
      wan_route_burst(w, snap, static_cast<uint8_t>(pi - 1), pkts, n, now_tsc);
  }
  const uint64_t handed_before = w.counters.handoff_received.get();
  nat_handoff_service(w, snap, now_tsc);  // replies to our sessions from other workers, ours to theirs
  total += drain_from_control(w);
  egress_service(w, snap, now_tsc);  // hand-offs, then shapers release what their tokens allow
  tx_flush_all(w);
  return total + static_cast<uint32_t>(w.counters.handoff_received.get() - handed_before);
}

// Work that arrives without a packet on a port: packets waiting in an owned link's shaper for tokens, and what
// other workers or control put in our rings since we looked. Checked only before a nap, never per packet.
static bool worker_has_pending_work(const WorkerContext& w) {
  const uint16_t step = w.egress.n_workers;
  for (uint32_t l = w.worker_id; l < kMaxLinks; l += step) {
    if (w.egress.link[l].queued != 0) return true;
    if (w.egress.handoff[l] != nullptr && rte_ring_count(w.egress.handoff[l]) != 0) return true;
  }
  const rte_ring* inbox = w.nat_handoff.inbox[w.worker_id];
  if (inbox != nullptr && rte_ring_count(inbox) != 0) return true;
  return w.from_control != nullptr && rte_ring_count(w.from_control) != 0;
}

// Sleeps `ns` in the kernel, offline for RCU meanwhile (control's grace periods never wait for a napping worker),
// and returns the TSC at wake-up. The syscall runs only here, after an idle spell, never on the packet path.
static uint64_t worker_nap(WorkerContext& w, uint64_t ns, uint64_t start_tsc) {
  rte_rcu_qsbr_thread_offline(w.qsbr, w.worker_id);
  const timespec ts{.tv_sec = 0, .tv_nsec = static_cast<long>(ns)};
  clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);  // a signal cutting it short only shortens the nap
  rte_rcu_qsbr_thread_online(w.qsbr, w.worker_id);
  const uint64_t woke = rte_rdtsc();
  w.counters.naps.inc();
  w.counters.sleep_cycles.add(woke - start_tsc);
  return woke;
}

// A sleep until a packet, control's kick or the timeout (dataplane/idle_wake.hpp), offline for RCU meanwhile;
// returns the TSC when the worker is back. Runs only after an idle spell, like worker_nap.
static uint64_t worker_sleep(WorkerContext& w, IdleBackoff& backoff, uint64_t start_tsc) {
  // Aging sweeps and NAT expiry run from the loop: a sleeping worker does them at least this often.
  constexpr int kWakeTimeoutMs = 100;
  IdleWake& wake = *w.wake;
  wake.arm();
  // The last look, after the doorbells can ring and control can see the mark: a frame the PMD took in before the
  // doorbells were armed, or work control queued before it saw the mark, is served now rather than after a sleep.
  const DataplaneSnapshot* snap = w.slot->current.load(std::memory_order_acquire);
  if (worker_poll_once(w, *snap, start_tsc) != 0 || worker_has_pending_work(w)) {
    wake.disarm();
    const uint64_t now = rte_rdtsc();
    backoff.busy(now);
    return now;
  }
  rte_rcu_qsbr_thread_offline(w.qsbr, w.worker_id);
  const IdleWake::Woken why = wake.wait(kWakeTimeoutMs);
  rte_rcu_qsbr_thread_online(w.qsbr, w.worker_id);
  wake.disarm();
  const uint64_t woke = rte_rdtsc();
  w.counters.naps.inc();
  w.counters.sleep_cycles.add(woke - start_tsc);
  if (why == IdleWake::Woken::kPacket)
    w.counters.wakes_by_packet.inc();
  else if (why == IdleWake::Woken::kKick)
    w.counters.wakes_by_kick.inc();
  else
    w.counters.wakes_by_timeout.inc();
  // Spin the 25 us window again: a frame seldom comes alone (the rest of a burst, the reply to what it asked for).
  backoff.busy(woke);
  return woke;
}

// Aging: `periods` sweep periods (50 us each) have passed since the last sweep. One step per period, so a worker
// that slept (until a packet, or up to 100 ms: idle_wake.hpp) ages flows, refreshes its top-flows board (published
// at the end of each full sweep of the cache) and frees NAT ports at the pace of one that polls. At most 32 steps at
// a time (1024 cache slots, 2048 sessions: tens of microseconds), after the packets that woke it were sent.
static void worker_sweep(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now, uint64_t periods) {
  const auto steps = static_cast<uint32_t>(std::min<uint64_t>(periods, 32));
  if (w.flows) w.flows->expire_some(now, snap.flow_idle_tsc, 32 * steps, w.counters);
  // NAT mappings expire lazily when looked up, and here so idle ones free their ports.
  if (w.nat) w.counters.nat_sessions_expired.add(w.nat->expire_some(now, snap.nat.timeouts, 64 * steps));
}

int worker_main(void* arg) {
  WorkerContext& w = *static_cast<WorkerContext*>(arg);
  rte_rcu_qsbr_thread_register(w.qsbr, w.worker_id);
  rte_rcu_qsbr_thread_online(w.qsbr, w.worker_id);
  // Aging sweeps a few cache slots and NAT sessions every 50 us rather than every loop: enough to visit the 128k
  // slots of a 64k-flow cache every ~200 ms and 64k NAT sessions every ~50 ms (idle timeouts are seconds), without
  // paying for it on every burst (per loop, the NAT sweep alone cost ~10 cycles a packet at full rate).
  const uint64_t sweep_every = rte_get_tsc_hz() / 20000;
  uint64_t last_sweep = 0;
  IdleBackoffConfig naps = IdleBackoffConfig::for_tsc_hz(rte_get_tsc_hz());
  naps.max_nap_ns = w.max_nap_ns;
  naps.min_nap_ns = std::min(naps.min_nap_ns, naps.max_nap_ns);
  IdleBackoff backoff(naps);
  // nanosleep wakes up to the thread's timer slack late (50 us by default): 1 us keeps naps as short as asked.
  if (w.adaptive_poll) prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  // One TSC read per iteration (not per packet, and not two: reading it costs tens of cycles): an iteration's
  // length is the next one's start minus its own, counted as busy or idle cycles, the core's real load.
  uint64_t now = rte_rdtsc();
  while (!w.stop->load(std::memory_order_relaxed)) {
    const DataplaneSnapshot* snap = w.slot->current.load(std::memory_order_acquire);
    uint32_t n = worker_poll_once(w, *snap, now);
    if (now - last_sweep > sweep_every) {
      worker_sweep(w, *snap, now, (now - last_sweep) / sweep_every);
      last_sweep = now;
    }
    // Done with this snapshot: control may free the one it replaced.
    rte_rcu_qsbr_quiescent(w.qsbr, w.worker_id);
    w.counters.loops.inc();
    uint64_t next = rte_rdtsc();
    if (n != 0) {
      w.counters.busy_loops.inc();
      w.counters.busy_cycles.add(next - now);
      backoff.busy(next);
    } else {
      w.counters.idle_cycles.add(next - now);
      if (w.adaptive_poll) {
        // Naps are counted apart (sleep_cycles), so busy + idle cycles stay the time the worker ran.
        const uint64_t nap_ns = backoff.idle(next);
        if (nap_ns != 0 && worker_has_pending_work(w))
          backoff.busy(next);
        else if (nap_ns != 0 && w.wake)
          next = worker_sleep(w, backoff, next);
        else if (nap_ns != 0)
          next = worker_nap(w, nap_ns, next);
      }
    }
    now = next;
  }
  egress_drain(w);
  nat_handoff_drain(w);
  tx_flush_all(w);
  rte_rcu_qsbr_thread_offline(w.qsbr, w.worker_id);
  rte_rcu_qsbr_thread_unregister(w.qsbr, w.worker_id);
  return 0;
}

}  // namespace wansteer
