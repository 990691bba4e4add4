// EgressPlan: the compiled rate limits and shaper settings per (class, link), part of the immutable snapshot.
// Control fills it (control/runtime/egress_plan.cpp); the owning worker keeps the run-time state
// (dataplane/egress.hpp).
#pragma once
#include <cstdint>

#include "dataplane/limits.hpp"

namespace wansteer {

// What the meter of one (class, link) does right now. Control has already picked the backup variant.
enum class MeterMode : uint8_t {
  unlimited = 0,  // no meter: every packet conforms
  limit = 1,      // trTCM with the rates below
  block = 2,      // drop every packet (e.g. guest while on a backup link)
  budget = 3,     // drop every packet: the link's data budget is spent (on_budget_exhausted: block)
};
enum class ExceedAction : uint8_t { drop = 0, remark = 1 };

struct MeterProfile {
  uint32_t generation = 0;  // changes whenever anything below changes: the owner then reconfigures its meter
  MeterMode mode = MeterMode::unlimited;
  ExceedAction exceed = ExceedAction::drop;
  uint8_t remark_dscp = 0;    // DSCP written into packets over the committed rate when exceed == remark
  bool has_peak = false;      // trTCM with a peak rate: above committed = exceed action, above peak = drop
  uint64_t cir = 0, cbs = 0;  // committed rate (bytes/s) and burst (bytes)
  uint64_t pir = 0, pbs = 0;  // peak rate and burst; equal to cir/cbs when has_peak is false

  bool same_settings(const MeterProfile& o) const {
    return mode == o.mode && exceed == o.exceed && remark_dscp == o.remark_dscp && has_peak == o.has_peak &&
           cir == o.cir && cbs == o.cbs && pir == o.pir && pbs == o.pbs;
  }
};

// Upper bound of one shaper class queue (packets); the configured limit is at most this.
inline constexpr uint32_t kShaperQueueMax = 1024;
// The largest frame (a jumbo frame with room for tags) a class queue's byte limit must always admit.
inline constexpr uint32_t kMaxFrameBytes = 9216;

struct ShaperConfig {
  uint32_t generation = 0;  // changes whenever rate/burst change: the owner then resets its token bucket
  bool enabled = false;     // false: packets pass straight to the NIC after the meter
  uint64_t rate = 0;        // bytes per second (link capacity.up / 8)
  uint64_t burst = 0;       // bytes the bucket holds: a few ms of rate, at least two full frames
  uint8_t n_order = 0;
  uint8_t order[kMaxClasses] = {};               // class ids, highest priority first
  uint16_t queue_limit[kMaxClasses] = {};        // per class id, packets (1..kShaperQueueMax)
  uint32_t queue_limit_bytes[kMaxClasses] = {};  // per class id, bytes of pkt_len queued (at least one jumbo frame)
  uint16_t delay_drop_mask = 0;                  // bit c: class c gets CoDel-style sojourn drops at dequeue
  uint64_t delay_target_tsc = 0;                 // sojourn time above which a low class starts to drop
  uint64_t delay_interval_tsc = 0;               // how long the sojourn must stay above target before dropping
  // Hard bound on any packet's wait, every class (a top class starved by a higher one too): older heads are
  // dropped as queue_timeout. 0 = no bound (hand-built plans in tests).
  uint64_t max_wait_tsc = 0;

  bool same_rate(const ShaperConfig& o) const { return enabled == o.enabled && rate == o.rate && burst == o.burst; }
};

struct EgressPlan {
  uint64_t tsc_hz = 0;  // TSC ticks per second the tsc values here (and the workers' clocks) are in
  MeterProfile meter[kMaxClasses][kMaxLinks];
  ShaperConfig shaper[kMaxLinks];
};

}  // namespace wansteer
