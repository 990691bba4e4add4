// The health of one overlay path (issue 13): probes through the tunnel to the hub's inner address, sent over one
// link, as loss, RTT and RFC 3550 jitter (TargetEstimator), whether the path answers, and per class whether it meets
// the class's SLA (SlaGate). Pure: times are passed in (ns), no DPDK; control/runtime/overlay_paths.hpp sends.
#pragma once
#include <cstdint>
#include <vector>

#include "control/health/link_health.hpp"

namespace wansteer {

// One path = the tunnel over one link, measured by the link its probes LEAVE on (the forward path): the hub has one
// endpoint for us and answers to the address it last heard from, so a reply may come back over another link. A
// path that loses its way to the hub loses its probes whichever way replies would have come.
//
// Up: until kDownAfterLosses probes in a row were lost. A path starts up (grace) and grace() restarts that count
// when the tunnel (re)gains its send key or the link comes back: before the first probe can answer, the overlay keeps
// its classes rather than flapping them off and back; a path that really cannot reach the hub is down after
// kDownAfterLosses probes and their reply timeout (at 100 ms: about 0.4 s + 0.3 s).
class OverlayPathHealth {
 public:
  static constexpr uint32_t kDownAfterLosses = 5;
  static constexpr uint32_t kPendingSlots = 64;  // probes in flight matched by sequence (wire seq % slots)

  explicit OverlayPathHealth(const HealthConfig& cfg);

  // A probe leaves now: its 16-bit sequence for the wire.
  uint16_t on_sent(uint64_t now_ns);
  // A reply with wire sequence `seq`, received at rx_ns (the worker's time). False when it answers no probe in
  // flight (unknown, duplicate, or older than kPendingSlots probes): nothing is counted then.
  bool on_reply(uint16_t seq, uint64_t rx_ns);
  // Turns probes older than the reply timeout into losses. Call every control tick.
  void tick(uint64_t now_ns);
  void grace() { lost_in_row_ = 0; }

  bool up() const { return lost_in_row_ < kDownAfterLosses; }
  LinkMetrics metrics() const { return est_.metrics(); }

  // Per class SLA verdicts, gates with the hold-down of direct links (SlaGate); slas[c] for class c. Gates follow
  // the number of classes (a reload that changes the SLAs starts them afresh: the caller rebuilds the path).
  void judge(const std::vector<Sla>& slas, uint64_t now_ns);
  bool sla_ok(size_t c) const { return c < gates_.size() ? gates_[c].ok() : true; }

 private:
  struct Pending {
    uint32_t seq = 0;
    uint64_t sent_ns = 0;  // 0: slot free
  };
  void count_new_losses();

  HealthConfig cfg_;
  TargetEstimator est_;
  std::vector<SlaGate> gates_;
  Pending pending_[kPendingSlots];
  uint32_t next_seq_ = 0;
  uint64_t lost_seen_ = 0;  // est_'s probes_lost when last looked at
  uint32_t lost_in_row_ = 0;
};

}  // namespace wansteer
