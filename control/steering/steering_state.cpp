// SteeringState: replanning, steer events with their causes, failover timing and backup time (control thread).
#include "control/steering/steering_state.hpp"

#include <cstring>

#include "control/steering/health_event.hpp"

namespace wansteer {

bool same_plan(const Plan& a, const Plan& b) {
  for (uint32_t c = 0; c < kMaxClasses; c++) {
    const ClassSteering &x = a.table.cls[c], &y = b.table.cls[c];
    if (x.allowed_mask != y.allowed_mask || x.usable_mask != y.usable_mask || x.stay_mask != y.stay_mask ||
        x.overlay_mask != y.overlay_mask || x.dup_link != y.dup_link || x.mode != y.mode ||
        x.by_host_pair != y.by_host_pair || std::memcmp(x.pick_slot, y.pick_slot, sizeof x.pick_slot) != 0 ||
        a.cls[c].picked_mask != b.cls[c].picked_mask || a.cls[c].first != b.cls[c].first ||
        a.cls[c].fallback != b.cls[c].fallback)
      return false;
  }
  return true;
}

SteeringState::SteeringState(const Policy& policy, EventLog& events, uint64_t hz)
    : policy_(policy), events_(events), hz_(hz), timing_(hz) {}

std::string SteeringState::link_name(uint8_t l) const {
  return l < policy_.links.size() ? policy_.links[l].name : std::string("none");
}

std::string SteeringState::cause(size_t c, const ClassPlan& o, const ClassPlan& n, const WhyLeft& why_left) const {
  const uint8_t from = have_plan_ ? o.first : kNoLink;
  if (from == n.first && n.fallback != o.fallback) return n.fallback ? "no_link_meets_sla" : "sla_met_again";
  if (from == kNoLink || from >= policy_.links.size()) return have_plan_ ? "link_available" : "start";
  if (n.first == kNoLink) return "no_usable_link";
  return why_left(c, from);
}

bool SteeringState::replan(uint64_t now, const PlanInput& in, const WhyLeft& why_left, const CounterTotals& totals,
                           const std::function<LinkMetrics(uint8_t)>& metrics_of) {
  const Plan np = plan_steering(policy_, in, have_plan_ ? &plan_ : nullptr);
  if (have_plan_ && same_plan(np, plan_)) return false;
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    const ClassPlan& o = plan_.cls[c];
    const ClassPlan& n = np.cls[c];
    if (have_plan_ && o.picked_mask == n.picked_mask && o.first == n.first && o.fallback == n.fallback) continue;
    if (!have_plan_ && n.first == kNoLink) continue;  // nothing to say yet: links come up in a moment
    const uint8_t from = have_plan_ ? o.first : kNoLink;
    Event e = health_event("steer", from < policy_.links.size() ? metrics_of(from) : LinkMetrics{});
    e.cls = policy_.classes[c].name;
    e.from = link_name(from);
    e.to = link_name(n.first);
    e.cause = cause(c, o, n, why_left);
    if (n.fallback && e.cause.rfind("sla_", 0) == 0) e.cause += "+fallback";
    // Moving away from a link that is still usable: say whether the flows on it follow (failback with NAT keeps
    // them where their mapping lives, see the planner)
    if (from < policy_.links.size() && n.first != kNoLink && from != n.first && in.alive[from])
      e.existing_flows = np.table.cls[c].may_stay(from) ? "stay" : "move";
    if (from != kNoLink && n.first != kNoLink && from != n.first)
      timing_.start(c, n.first, now, totals.class_link_packets[c][n.first]);
    events_.emit(std::move(e));
  }
  plan_ = np;
  have_plan_ = true;
  return true;
}

void SteeringState::account_backup(uint64_t now) {
  if (last_account_ != 0 && have_plan_) {
    const double dt = static_cast<double>(now - last_account_) / static_cast<double>(hz_);
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++)
      for (size_t l = 0; l < policy_.links.size(); l++)
        if (((plan_.cls[c].picked_mask >> l) & 1u) && policy_.links[l].role == LinkRole::backup) {
          backup_seconds_[c] += dt;
          break;
        }
  }
  last_account_ = now;
}

}  // namespace wansteer
