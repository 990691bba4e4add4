// Egress: owner-core hand-off, meters and the strict-priority shaper of each WAN link.
//
// Owner-core model. A rate limit must hold in total, not per core: 1 Mbit/s for guest on lte is 1 Mbit/s
// whatever number of workers steer guest flows. So the egress of WAN link k (its meters, its queues, its token
// bucket) belongs to exactly one worker, owner = k % n_workers, and only that worker ever writes it: no atomics,
// no locks. A worker that steers a packet to a link it does not own stages it and, once per loop, pushes the
// stage into that link's multi-producer/single-consumer rte_ring (bounded; full = counted drop, handoff_full);
// the owner drains its links' rings every loop. With one worker (the usual small office) nothing is handed off.
//
// Shaper. A link with a capacity has a token bucket at that rate (bytes of Ethernet frame, no preamble/FCS) and
// one bounded queue per class, served in strict priority order. Packets are queued and the queues are serviced in
// the same loop iteration, so below capacity a packet leaves in the loop that received it (no added delay), and
// above capacity the queue forms here, where we choose who waits, not in the modem. On a multi-gigabit link whose
// bucket holds more than a whole loop can bring, a packet skips the queue round trip (shaper_cut_through): the
// same packets leave in the same loop.
#include "dataplane/egress.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <rte_ring.h>

#include "dataplane/handed_prefetch.hpp"
#include "dataplane/shaper_bucket.hpp"

namespace wansteer {

namespace {

// CoDel's control law spaces drops by interval / sqrt(count): 1/sqrt(n) in 16-bit fixed point, built once.
const std::array<uint32_t, 64> kInvSqrtQ16 = [] {
  std::array<uint32_t, 64> t{};
  for (uint32_t i = 1; i < t.size(); i++) t[i] = static_cast<uint32_t>(65536.0 / std::sqrt(static_cast<double>(i)));
  t[0] = 65536;
  return t;
}();

inline uint64_t next_drop_gap(uint64_t interval, uint32_t count) {
  return (interval * kInvSqrtQ16[count < 63 ? count : 63]) >> 16;
}

inline void count_drop(WorkerContext& w, rte_mbuf* m, DropReason why) { drop_packet(w, m, 0, why); }

// A packet the meter refused: counted by why, and dropped. Out of line: the common verdict is conform.
[[gnu::noinline]] void meter_refuse(WorkerContext& w, ClassLinkEgressCounters& c, rte_mbuf* m, MeterVerdict v) {
  switch (v) {
    case MeterVerdict::exceed:
      c.meter_exceed_drops.inc();
      count_drop(w, m, DropReason::meter_exceed);
      return;
    case MeterVerdict::blocked:
      c.blocked_drops.inc();
      count_drop(w, m, DropReason::class_blocked);
      return;
    default:  // MeterVerdict::budget
      c.blocked_drops.inc();
      count_drop(w, m, DropReason::budget_exhausted);
      return;
  }
}

// Appends `m` to its class queue on a shaped link, or drops it (counted) when the queue is full.
[[gnu::noinline]] void shaper_enqueue(WorkerContext& w, LinkEgress& e, const ShaperConfig& sc,
                                      ClassLinkEgressCounters& c, uint8_t cls, rte_mbuf* m, uint64_t now) {
  ShaperQueue& q = e.q[cls];
  if (q.n >= sc.queue_limit[cls] || q.bytes + m->pkt_len > sc.queue_limit_bytes[cls]) {
    c.queue_drops.inc();
    count_drop(w, m, DropReason::queue_full);
    return;
  }
  uint16_t tail = static_cast<uint16_t>((q.head + q.n) & (kShaperQueueMax - 1));
  q.pkts[tail] = m;
  q.enq_tsc[tail] = now;
  q.n++;
  q.bytes += m->pkt_len;
  e.queued++;
}

// Meter, then queue (shaped link) or stage for the NIC (unshaped link or cut-through). Runs on the link's owner
// only; egress_submit's inline part (egress.hpp) takes the usual case before it.
[[gnu::always_inline]] inline void egress_local_inline(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link,
                                                       rte_mbuf* m, uint64_t now) {
  const uint8_t cls = meta_of(m)->class_id;
  LinkEgress& e = w.egress.link[link];
  ClassLinkEgressCounters& c = w.counters.egress[cls][link];
  const MeterVerdict v = meter_packet(e.meter[cls], snap.egress.meter[cls][link], m, now);
  if (v == MeterVerdict::conform) {
    c.meter_conform.inc();
  } else if (v == MeterVerdict::remarked) {
    c.meter_remarked.inc();
  } else {
    meter_refuse(w, c, m, v);
    return;
  }
  const ShaperConfig& sc = snap.egress.shaper[link];
  if (!sc.enabled || shaper_cut_through(e, sc, snap.egress.tsc_hz, m->pkt_len, now)) {
    tx_enqueue(w, static_cast<uint8_t>(link + 1), m, cls);
    return;
  }
  shaper_enqueue(w, e, sc, c, cls, m, now);
}

inline rte_mbuf* queue_pop(LinkEgress& e, ShaperQueue& q) {
  rte_mbuf* m = q.pkts[q.head];
  q.head = static_cast<uint16_t>((q.head + 1) & (kShaperQueueMax - 1));
  q.n--;
  q.bytes -= m->pkt_len;
  e.queued--;
  return m;
}

// Simplified CoDel (RFC 8289) for the low classes, decided when the head packet could be sent: once the
// sojourn time has stayed above target for a whole interval, drop the head packet, then keep dropping one
// packet per interval/sqrt(drops) while the sojourn stays above target. Leaving that state (sojourn below
// target, or the queue empty) forgets the drop count; real CoDel remembers it for a while, we do not.
// Returns true when the head packet should be dropped.
inline bool codel_should_drop(ShaperQueue& q, const ShaperConfig& sc, uint64_t now) {
  uint64_t enq = q.enq_tsc[q.head];
  uint64_t sojourn = now > enq ? now - enq : 0;
  if (sojourn < sc.delay_target_tsc) {
    q.first_above_tsc = 0;
    q.dropping = false;
    return false;
  }
  if (q.first_above_tsc == 0) {
    q.first_above_tsc = now + sc.delay_interval_tsc;
    return false;
  }
  if (now < q.first_above_tsc) return false;
  if (!q.dropping) {
    q.dropping = true;
    q.drop_count = 1;
    q.drop_next_tsc = now + next_drop_gap(sc.delay_interval_tsc, 1);
    return true;
  }
  if (now < q.drop_next_tsc) return false;
  q.drop_count++;
  q.drop_next_tsc += next_drop_gap(sc.delay_interval_tsc, q.drop_count);
  return true;
}

// Why the head packet of `q` must be dropped instead of waiting on, or count_ when it may wait: the hard bound
// on any wait first, then (classes with delay drops) CoDel. Checked on every head each service call, whether or
// not tokens allow it to leave, so a queue starved by higher classes still sheds what waited too long.
inline DropReason head_drop_reason(ShaperQueue& q, const ShaperConfig& sc, bool delay_drop, uint64_t now) {
  const uint64_t enq = q.enq_tsc[q.head];
  if (sc.max_wait_tsc != 0 && now > enq && now - enq > sc.max_wait_tsc) return DropReason::queue_timeout;
  if (delay_drop && codel_should_drop(q, sc, now)) return DropReason::queue_delay;
  return DropReason::count_;
}

// Refills the bucket and releases packets in strict priority while tokens allow. A lower class never
// overtakes a higher one that is waiting for tokens, even with a smaller packet. A frame larger than the bucket
// leaves once the bucket is full and leaves it in debt (tokens below zero), which the refill pays back before
// anything else leaves: the long-run rate stays exact and ordinary frames keep the configured burst. (Raising the
// burst to a jumbo frame instead would let every small-frame burst grow by 9 KB on a slow link.)
void shaper_service(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint64_t now) {
  const ShaperConfig& sc = snap.egress.shaper[link];
  LinkEgress& e = w.egress.link[link];
  const uint8_t pi = static_cast<uint8_t>(link + 1);
  if (!sc.enabled) {
    // Shaping was switched off by a reload: what waits goes out now, class order kept.
    for (uint32_t c = 0; c < kMaxClasses && e.queued != 0; c++)
      while (e.q[c].n != 0) tx_enqueue(w, pi, queue_pop(e, e.q[c]), static_cast<uint8_t>(c));
    return;
  }
  const uint64_t hz = snap.egress.tsc_hz;
  const int64_t cap = static_cast<int64_t>(sc.burst * hz);
  if (e.shaper_generation != sc.generation) {
    e.shaper_generation = sc.generation;
    e.tokens = cap;
    e.last_tsc = now;
  }
  shaper_refill(e, sc, cap, now);
  if (e.queued == 0) return;
  bool sending = true;  // false once a head waits for tokens: lower classes then only shed, never send
  for (uint8_t i = 0; i < sc.n_order; i++) {
    const uint8_t cls = sc.order[i];
    ShaperQueue& q = e.q[cls];
    const bool delay_drop = (sc.delay_drop_mask >> cls) & 1u;
    while (q.n != 0) {
      const DropReason why = head_drop_reason(q, sc, delay_drop, now);
      if (why != DropReason::count_) {
        rte_mbuf* m = queue_pop(e, q);
        ClassLinkEgressCounters& c = w.counters.egress[cls][link];
        (why == DropReason::queue_delay ? c.codel_drops : c.timeout_drops).inc();
        count_drop(w, m, why);
        continue;
      }
      const int64_t cost = static_cast<int64_t>(uint64_t{q.pkts[q.head]->pkt_len} * hz);
      if (!sending || e.tokens < std::min(cost, cap)) {
        sending = false;
        break;
      }
      e.tokens -= cost;
      tx_enqueue(w, pi, queue_pop(e, q), cls);
    }
    if (q.n == 0) {
      q.dropping = false;  // the queue drained: the next standing queue starts a fresh CoDel episode
      q.first_above_tsc = 0;
    }
    Counter& depth = w.counters.egress[cls][link].queue_depth;
    if (depth.get() != q.n) depth.set(q.n);
  }
}

void flush_stage(WorkerContext& w, uint8_t link) {
  uint16_t n = w.egress.n_stage[link];
  if (n == 0) return;
  w.egress.n_stage[link] = 0;
  rte_ring* r = w.egress.handoff[link];
  unsigned sent =
      r == nullptr ? 0 : rte_ring_mp_enqueue_burst(r, reinterpret_cast<void**>(w.egress.stage[link]), n, nullptr);
  w.counters.handoff_sent.add(sent);
  if (sent != 0) wake_worker(w, w.egress.owner_of(link));
  for (uint16_t i = static_cast<uint16_t>(sent); i < n; i++)
    count_drop(w, w.egress.stage[link][i], DropReason::handoff_full);
}

}  // namespace

void egress_local(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, uint64_t now_tsc) {
  egress_local_inline(w, snap, link, m, now_tsc);
}

void egress_queue_conforming(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m,
                             uint64_t now_tsc) {
  const uint8_t cls = meta_of(m)->class_id;
  ClassLinkEgressCounters& c = w.counters.egress[cls][link];
  c.meter_conform.inc();
  shaper_enqueue(w, w.egress.link[link], snap.egress.shaper[link], c, cls, m, now_tsc);
}

void egress_stage(WorkerContext& w, uint8_t link, rte_mbuf* m) {
  WorkerEgress& eg = w.egress;
  if (eg.n_stage[link] == kBurst) flush_stage(w, link);
  eg.stage[link][eg.n_stage[link]++] = m;
}

void egress_service(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc) {
  WorkerEgress& eg = w.egress;
  for (uint8_t l = 0; l < snap.n_links; l++) flush_stage(w, l);
  for (uint32_t l = w.worker_id; l < snap.n_links; l += eg.n_workers) {
    const uint8_t link = static_cast<uint8_t>(l);
    if (rte_ring* r = eg.handoff[link]) {
      rte_mbuf* pkts[kBurst];
      for (uint32_t b = 0; b < kHandoffBurstsPerLoop; b++) {
        unsigned n = rte_ring_sc_dequeue_burst(r, reinterpret_cast<void**>(pkts), kBurst, nullptr);
        w.counters.handoff_received.add(n);
        prefetch_handed(pkts, n, false);  // egress reads the mbuf and its meta, not the frame
        for (unsigned i = 0; i < n; i++) egress_local_inline(w, snap, link, pkts[i], now_tsc);
        if (n < kBurst) break;
      }
    }
    shaper_service(w, snap, link, now_tsc);
  }
}

void egress_drain(WorkerContext& w) {
  for (uint8_t l = 0; l < kMaxLinks; l++) {
    // Counted as drops, so that what the LAN port received still adds up after a stop.
    for (uint16_t i = 0; i < w.egress.n_stage[l]; i++) count_drop(w, w.egress.stage[l][i], DropReason::shutdown_flush);
    w.egress.n_stage[l] = 0;
    LinkEgress& e = w.egress.link[l];
    for (uint32_t c = 0; c < kMaxClasses; c++) {
      while (e.q[c].n != 0) count_drop(w, queue_pop(e, e.q[c]), DropReason::shutdown_flush);
      w.counters.egress[c][l].queue_depth.set(0);
    }
  }
}

}  // namespace wansteer
