// SteeringState: the plan in force and how it changes. Replans from the links' health, names the cause of every
// class's move in an event, times moves (FailoverTiming) and counts the seconds each class ran on a backup link.
#pragma once
#include <functional>
#include <string>

#include "control/health/link_health.hpp"
#include "control/steering/events.hpp"
#include "control/steering/failover_timing.hpp"
#include "control/steering/planner.hpp"

namespace wansteer {

class SteeringState {
 public:
  // Why class `c` left link `from` (or "recovered"): the link monitor's answer, e.g. "probe_timeout", "sla_loss".
  using WhyLeft = std::function<std::string(size_t c, uint8_t from)>;

  // `policy` is read at every call (a reload replaces it in place).
  SteeringState(const Policy& policy, EventLog& events, uint64_t hz);

  // Plans from `in`; when the plan changed, emits a steer event per class that moved (starting its failover
  // timing, measured against `totals`, the workers' last sampled counters) and returns true: publish it.
  // `metrics_of(l)` gives link l's measurements for the events.
  bool replan(uint64_t now, const PlanInput& in, const WhyLeft& why_left, const CounterTotals& totals,
              const std::function<LinkMetrics(uint8_t)>& metrics_of);
  // The class numbers changed (reload): the next plan starts afresh.
  void forget_plan() { have_plan_ = false; }
  // Adds the time since the last call to each class running on a backup link now.
  void account_backup(uint64_t now);

  const Plan& plan() const { return plan_; }
  bool have_plan() const { return have_plan_; }
  double backup_seconds(size_t c) const { return backup_seconds_[c]; }
  FailoverTiming& timing() { return timing_; }
  const FailoverTiming& timing() const { return timing_; }
  std::string link_name(uint8_t l) const;

 private:
  std::string cause(size_t c, const ClassPlan& o, const ClassPlan& n, const WhyLeft& why_left) const;

  const Policy& policy_;
  EventLog& events_;
  uint64_t hz_;
  Plan plan_{};
  bool have_plan_ = false;
  FailoverTiming timing_;
  uint64_t last_account_ = 0;
  double backup_seconds_[kMaxClasses] = {};
};

// Whether two plans steer every class the same way (then nothing is published).
bool same_plan(const Plan& a, const Plan& b);

}  // namespace wansteer
