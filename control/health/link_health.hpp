// Link health: per-target probe estimators (loss window, RTT EWMA, RFC 3550 jitter, STAMP forward/reverse loss),
// link liveness with hysteresis, and per (class, link) SLA gates. Pure: every time is passed in (ns), no DPDK.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "control/health/loss_test.hpp"

namespace wansteer {

struct HealthConfig {
  uint32_t interval_ms = 20;        // probe interval per target
  uint32_t detect_multiplier = 4;   // link down when no reply from any target for detect_multiplier * interval_ms
  uint32_t loss_window = 100;       // loss measured over the last N probes per target whose fate is known
  uint32_t reply_timeout_ms = 300;  // a probe unanswered this long counts as lost (late replies are ignored)
  uint32_t hold_down_ms = 10000;    // a link (or a class on a link) that was bad must be good this long before it
                                    // counts as good again
  uint32_t min_samples = 10;        // SLA judgments need at least this many known probe outcomes in the window

  uint64_t detect_ns() const { return uint64_t(detect_multiplier) * interval_ms * 1'000'000ull; }
  uint64_t reply_timeout_ns() const { return uint64_t(reply_timeout_ms) * 1'000'000ull; }
  uint64_t hold_down_ns() const { return uint64_t(hold_down_ms) * 1'000'000ull; }
};

struct LinkMetrics {                                        // what the planner, CLI and metrics see for one link
  double loss_pct = 0, fwd_loss_pct = 0, rev_loss_pct = 0;  // fwd/rev only meaningful with STAMP (0 otherwise)
  double rtt_ms = 0;                                        // EWMA, alpha 1/8 like TCP SRTT
  double rtt_max_ms = 0;                                    // max RTT among the probes in the loss window
  double jitter_ms = 0;  // RFC 3550 interarrival jitter: J += (|D| - J)/16, D = difference of consecutive
                         // transit (RTT) samples
  uint64_t probes_sent = 0, probes_lost = 0, replies = 0;
  uint32_t samples = 0;  // known outcomes currently in the window
  bool has_rtt = false;
};

// One probe target (one address, one probe kind). Sequence numbers are the sender's, sent in increasing order.
//
// Loss: the window holds the last loss_window probes whose fate is known: replied in time, or unanswered for
// reply_timeout (then lost; a reply arriving later is not counted again, so a probe is never counted twice), or
// unanswered while a probe sent a reorder window later was answered (then lost at once, like TCP RACK, RFC 8985:
// the window is a quarter of the smoothed RTT, at least kMinReorderMs, so reordering is not loss). A late
// reply still proves the line answers: it counts for liveness (last_reply_ns), so a saturated line whose queue
// holds replies past the timeout is slow (its loss and RTT say so), not dead.
//
// Stalls: excuse() voids the probes whose fate was still open when the edge stopped running (they were sent late,
// or their replies waited unread: neither loss nor a valid RTT) and moves the silence reference past the stall.
//
// Forward/reverse loss (STAMP only): a stateful reflector numbers the packets it reflects with its own counter.
// Between two consecutive in-time replies (s0, r0) and (s1, r1), the sender sent s1 - s0 - 1 probes that did not
// come back, and the reflector reflected r1 - r0 - 1 packets we never received: those are reverse losses (or late
// replies), and the other (s1 - s0) - (r1 - r0) never reached the reflector: forward losses. Which probe of the gap
// was lost which way is unknowable, only the counts; the lost probes of the gap are tagged fwd first, then rev.
// A lost probe not yet followed by a reply (an outage still going on) or seen across a reflector restart
// (reflector counter not moving forward consistently) stays untagged: it counts in loss_pct but in neither
// fwd_loss_pct nor rev_loss_pct, so fwd + rev <= loss. ICMP probes (no reflector_seq) are never tagged.
class TargetEstimator {
 public:
  explicit TargetEstimator(const HealthConfig& cfg);
  void on_sent(uint32_t seq, uint64_t now_ns);
  // A reply for `seq`: rtt_ns measured by the caller. For STAMP also pass reflector_seq (the reflector's own
  // counter) so forward vs reverse loss can be told apart; pass std::nullopt for ICMP.
  void on_reply(uint32_t seq, uint64_t now_ns, uint64_t rtt_ns, std::optional<uint32_t> reflector_seq = std::nullopt);
  void tick(uint64_t now_ns);  // turns probes older than reply_timeout into losses
  LinkMetrics metrics() const;
  uint64_t last_reply_ns() const;  // 0 = never
  // Start of the current run of replies with no gap >= detect time between consecutive replies (0 = never replied).
  uint64_t streak_start_ns() const { return streak_start_ns_; }
  uint32_t window_lost() const;  // lost probes currently in the window
  void forget_losses();          // drops the losses from the window (the link recovered from an outage)
  void forget_loss_evidence() { losses_.forget(); }  // the loss test's history only; the window keeps them
  void set_interval(uint32_t interval_ms) { cfg_.interval_ms = interval_ms; }  // detect time follows the interval
  // The edge did not run in [from_ns, to_ns): see the class comment.
  void excuse(uint64_t from_ns, uint64_t to_ns);
  uint64_t voided() const { return voided_; }  // probes excuse() took out of the count
  // The sequential loss test's view of this target's outcomes (control/health/loss_test.hpp).
  const LossHistory& losses() const { return losses_; }

  static constexpr double kMinReorderMs = 2.0;

 private:
  enum class Fate : uint8_t { replied, lost, lost_fwd, lost_rev };
  struct Outcome {
    uint32_t seq;
    Fate fate;
    double rtt_ms;  // replied only
  };
  struct Pending {
    uint32_t seq;
    uint64_t sent_ns;
  };
  void record(const Outcome& o);
  void lose_oldest_pending();  // the oldest pending probe is lost
  void tag_gap(uint32_t from_seq, uint32_t to_seq, uint32_t fwd_count);
  Fate pending_tag(uint32_t seq);

  HealthConfig cfg_;
  std::deque<Pending> pending_;                        // sent, fate unknown; oldest first
  std::deque<Outcome> window_;                         // known fates, oldest first, at most loss_window
  std::vector<std::pair<uint32_t, Fate>> early_tags_;  // direction inferred for probes still pending
  uint64_t probes_sent_ = 0, probes_lost_ = 0, replies_ = 0, voided_ = 0;
  uint64_t last_reply_ns_ = 0, streak_start_ns_ = 0;
  double srtt_ms_ = 0, jitter_ms_ = 0, last_rtt_ms_ = 0;
  bool has_rtt_ = false;
  std::optional<std::pair<uint32_t, uint32_t>> last_stamp_;  // (sender seq, reflector seq) of the newest reply
  LossHistory losses_;
};

// degraded is decided by the planner (alive but failing some class SLA); this module reports liveness.
enum class LinkState : uint8_t { up, degraded, down };

// Liveness with hysteresis for one link over all its targets: down as soon as no target replied for detect time
// (or when suspect() is called: passive signal), back to alive only after replies kept coming (no gap longer than
// detect time) for hold_down_ms. Link metrics = those of the best live target (lowest loss, then lowest RTT), so one
// dead target does not condemn a link; all targets dead = down.
//
// Recovery needs one target whose replies kept coming for hold_down (its own streak, see TargetEstimator), counted
// from the later of the streak start and the last down event (so a suspect() restarts the hold-down too). The very
// first up needs no hold-down: a link is alive as soon as it first answers.
class LinkLiveness {
 public:
  LinkLiveness(const HealthConfig& cfg, size_t n_targets);
  TargetEstimator& target(size_t i);
  const TargetEstimator& target(size_t i) const;
  size_t n_targets() const { return targets_.size(); }
  void suspect(uint64_t now_ns);  // passive signal: withdraw now; cleared only by the normal recovery path
  // cause: "start" (first up), "probe_timeout", "suspect_no_rx", "recovered" when changed; otherwise "alive",
  // "no_reply" or "hold_down" (replies flowing, waiting out the hold-down).
  struct Verdict {
    bool alive;
    bool changed;
    const char* cause;
  };
  Verdict evaluate(uint64_t now_ns);  // call every control tick
  LinkMetrics metrics() const;        // best live target's, or aggregate if none alive
  // Evidence (nats) that the link's loss breaks the limit of `t`: the best live target's (the lowest), so one lossy
  // target does not condemn a link; the highest when none is live.
  double loss_evidence(const LossTest& t) const;
  // Some target's outcomes lean towards loss above the limit of `t` (positive evidence, or a loss among its last
  // kDoubtOutcomes outcomes): the link is worth probing faster until the test decides.
  bool loss_in_doubt(const LossTest& t) const;
  static constexpr uint64_t kDoubtOutcomes = 100;
  bool alive() const { return alive_; }
  // The probe interval changed (a metered link speeding up or slowing down): detect time follows it, and after a
  // speed-up the targets get one new detect time from now before silence counts against them.
  void set_interval(uint32_t interval_ms, uint64_t now_ns);
  // The edge itself did not run in [from_ns, to_ns) (StallWatch): that time does not count as silence, and the
  // probes in flight are voided. A target live when the stall began is judged on its silence before the stall plus
  // what follows it, so a line that really died is down at most one detect time after the stall ends.
  void excuse(uint64_t from_ns, uint64_t to_ns);

 private:
  bool target_live(size_t i, uint64_t now_ns) const;

  HealthConfig cfg_;
  std::vector<TargetEstimator> targets_;
  bool alive_ = false;
  bool ever_up_ = false;
  bool suspect_pending_ = false;
  bool any_live_before_ = true;  // some target was live at the previous evaluate (false: an outage's silence)
  uint64_t down_since_ns_ = 0;
  uint64_t last_eval_ns_ = 0;
  // set_interval(): per target, silence is measured from here at the earliest (0 = no grace). Only targets live at
  // the change get it, so a dead target is not revived by a speed-up.
  std::vector<uint64_t> grace_from_ns_;
};

struct Sla {
  double max_loss_pct = 100, max_rtt_ms = 1e9, max_jitter_ms = 1e9;
};

// SLA judgment with hold-down for one (class, link): fails as soon as metrics break the SLA (with >= min_samples),
// passes again only after the SLA has held continuously for hold_down_ms. Loss breaks it when the sequential loss
// test's evidence reaches LossTest::kDecideNats, and holds again only below LossTest::kGoodNats (hysteresis). Starts
// passing (nothing known yet is not a failure); with fewer than min_samples the verdict stays as it was and a running
// hold-down restarts.
class SlaGate {
 public:
  SlaGate(const HealthConfig& cfg);
  // cause "loss", "rtt", "jitter", "recovered" when changed; otherwise "ok", the breach, "hold_down" or "few_samples".
  struct Verdict {
    bool ok;
    bool changed;
    const char* cause;
  };
  // loss_nats: LinkLiveness::loss_evidence() for this SLA's loss limit (the larger of its fast and slow tests).
  Verdict evaluate(const LinkMetrics& m, const Sla& sla, double loss_nats, uint64_t now_ns);
  bool ok() const { return ok_; }

 private:
  HealthConfig cfg_;
  bool ok_ = true;
  std::optional<uint64_t> good_since_ns_;
};

std::string_view to_string(LinkState s);

}  // namespace wansteer
