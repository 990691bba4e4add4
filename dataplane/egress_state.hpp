// Per-worker egress state: meters, shaper queues and token bucket of the WAN links this worker owns, and the
// staging of packets handed to other owners. Owner of link k = worker k % n_workers (see dataplane/egress.cpp).
#pragma once
#include <cstdint>

#include "dataplane/egress_plan.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/meter.hpp"

struct rte_mbuf;
struct rte_ring;

namespace wansteer {

// One class queue of a link's shaper: a fixed ring of mbufs with their enqueue times (for the sojourn check).
struct ShaperQueue {
  uint16_t head = 0, n = 0;
  uint32_t bytes = 0;  // pkt_len of the packets queued, for the byte limit
  // CoDel-style state (simplified RFC 8289): see codel_should_drop in egress.cpp.
  bool dropping = false;
  uint32_t drop_count = 0;
  uint64_t first_above_tsc = 0;  // 0 = sojourn below target; else when the target may start dropping
  uint64_t drop_next_tsc = 0;
  rte_mbuf* pkts[kShaperQueueMax];
  uint64_t enq_tsc[kShaperQueueMax];
};

// Everything about one WAN link's egress, touched only by that link's owner worker.
struct alignas(64) LinkEgress {
  ClassMeter meter[kMaxClasses];
  uint32_t shaper_generation = 0;  // of the ShaperConfig the bucket was set up for; 0 = never
  // Bytes x tsc_hz, so refill (elapsed ticks x bytes/s) is exact integer math. Negative = debt: a frame larger
  // than the bucket leaves when the bucket is full and the refill pays for the rest (see shaper_service).
  int64_t tokens = 0;
  uint64_t last_tsc = 0;
  uint32_t queued = 0;  // packets in all class queues together
  ShaperQueue q[kMaxClasses];
};

struct WorkerEgress {
  uint16_t n_workers = 1;             // set before launch; 1 = this worker owns every link, no hand-off
  rte_ring* handoff[kMaxLinks] = {};  // per link, multi-producer / single-consumer (the owner); null with 1 worker
  uint16_t n_stage[kMaxLinks] = {};   // packets for links owned elsewhere, pushed to handoff once per loop
  rte_mbuf* stage[kMaxLinks][kBurst];
  LinkEgress link[kMaxLinks];  // only the entries of owned links are used

  // The worker that owns `link` (its meters, queues and bucket).
  uint16_t owner_of(uint8_t link) const { return static_cast<uint16_t>(link % n_workers); }
  // Whether worker `id` owns `link`; one worker (the usual office) owns all without a division per packet.
  bool owns(uint8_t link, uint16_t id) const { return n_workers == 1 || owner_of(link) == id; }
};

}  // namespace wansteer
