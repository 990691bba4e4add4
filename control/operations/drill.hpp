// Drill: a failover rehearsal. A link is withdrawn from steering for a bounded time, then restored, and the
// report says per class where it went, how long the move took, and what the new link's probes measured meanwhile.
// Business-continuity plans ask offices to rehearse failover; this makes it one command with a written result.
// The Drill keeps the state and writes the report; the control loop withdraws and restores the link.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "control/health/link_health.hpp"
#include "control/operations/stats.hpp"
#include "control/steering/planner.hpp"

namespace wansteer {

class Drill {
 public:
  static constexpr uint64_t kMaxSeconds = 3600;
  static constexpr uint64_t kSampleMs = 100;  // the new link's loss/RTT/jitter are sampled this often

  // `policy` is read at every call (a reload replaces it in place); times are clock ticks at `hz`.
  Drill(const Policy& policy, uint64_t hz);

  // Begins a drill on `link` for `secs` seconds; `totals` are the counters now, `plan` the plan before the link
  // is withdrawn. Call withdrawn() with the plan that follows.
  void start(uint8_t link, uint64_t secs, uint64_t now, const CounterTotals& totals, const Plan& plan);
  void withdrawn(const Plan& plan);
  // Class `c` sent its first packet on its new link `secs` after the move began.
  void on_move(size_t c, double secs);
  // Samples the new links' health every kSampleMs; `metrics_of(l)` is empty for links not probed.
  void sample(uint64_t now, const Plan& plan, const std::function<std::optional<LinkMetrics>(uint8_t)>& metrics_of);
  // True when the drill's time is up: finish() it.
  bool due(uint64_t now) const { return active_ && now >= end_; }
  // Ends the drill and writes the report; the link must be restored by the caller.
  void finish(uint64_t now, const CounterTotals& totals);

  bool active() const { return active_; }
  bool done() const { return done_; }
  uint8_t link() const { return link_; }
  double seconds_left(uint64_t now) const;
  const std::string& report_text() const { return report_text_; }
  const nlohmann::ordered_json& report_json() const { return report_json_; }
  // `drill status`: running with time left, the last report, or that none has run.
  std::string status(uint64_t now, bool json) const;

 private:
  std::string link_name(uint8_t l) const;
  void add_class(size_t c, const CounterTotals& t);

  const Policy* policy_;  // a pointer, so a new drill can start from a fresh Drill
  uint64_t hz_;
  bool active_ = false, done_ = false;
  uint8_t link_ = kNoLink;
  uint64_t start_ = 0, end_ = 0, last_sample_ = 0;
  CounterTotals base_;
  uint8_t from_[kMaxClasses] = {};
  uint8_t to_[kMaxClasses] = {};
  double move_s_[kMaxClasses] = {};  // < 0: no first packet on the new link yet
  double loss_sum_[kMaxClasses] = {}, rtt_sum_[kMaxClasses] = {}, jitter_sum_[kMaxClasses] = {};
  double loss_max_[kMaxClasses] = {}, rtt_max_[kMaxClasses] = {}, jitter_max_[kMaxClasses] = {};
  uint32_t samples_[kMaxClasses] = {};
  std::string report_text_;
  nlohmann::ordered_json report_json_;
};

}  // namespace wansteer
