// Planner implementation: qualifying links per class from health and SLA (over the class's paths, direct or
// overlay: class_paths_plan.hpp), the mode's pick among them, and the stay mask that decides which cached flows
// move (withdrawn link: always; SLA breach and recovery: per class).
#include "control/steering/planner.hpp"

#include <cstring>

#include "control/steering/class_paths_plan.hpp"

namespace wansteer {

double link_score(double rtt_ms, double jitter_ms, double loss_pct) {
  return rtt_ms + 2.0 * jitter_ms + 10.0 * loss_pct;
}

namespace {

// 64 slots shared out in proportion to the weights of `order[0..n)`; slot s covers the point (s + 1/2) / 64 of
// the cumulative weight line.
void fill_balance(const Policy& policy, const uint8_t* order, uint32_t n, ClassSteering& cs) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += policy.links[order[i]].weight;
  for (uint32_t s = 0; s < kPickSlots; s++) {
    uint64_t point2 = (2 * s + 1) * total;  // twice the point, scaled by 64: compare with 2*64*cumulative
    uint64_t cumulative = 0;
    uint8_t chosen = order[n - 1];
    for (uint32_t i = 0; i < n; i++) {
      cumulative += policy.links[order[i]].weight;
      if (point2 < 2 * kPickSlots * cumulative) {
        chosen = order[i];
        break;
      }
    }
    cs.pick_slot[s] = chosen;
  }
}

uint8_t lowest_score(const PlanInput& in, const uint8_t* order, uint32_t n) {
  uint8_t best = order[0];
  for (uint32_t i = 1; i < n; i++)
    if (in.score[order[i]] < in.score[best]) best = order[i];  // ties: earlier in the class's order wins
  return best;
}

// Links whose flows carry a NAT mapping of that link's: moving such a flow resets its TCP sessions.
uint16_t nat_link_mask(const Policy& policy) {
  uint16_t mask = 0;
  for (size_t l = 0; l < policy.links.size() && l < kMaxLinks; l++)
    if (policy.links[l].nat) mask = static_cast<uint16_t>(mask | (1u << l));
  return mask;
}

// Backup links on which class `c` is blocked (on_backup: block): a flow there carries nothing, so it never stays.
uint16_t blocked_link_mask(const Policy& policy, size_t c) {
  if (c >= policy.class_limits.size() || policy.class_limits[c].on_backup != BackupMode::block) return 0;
  uint16_t mask = 0;
  for (size_t l = 0; l < policy.links.size() && l < kMaxLinks; l++)
    if (policy.links[l].role == LinkRole::backup) mask = static_cast<uint16_t>(mask | (1u << l));
  return mask;
}

// Exhausted-budget links on which class `c` is blocked (on_budget_exhausted: block, the default).
uint16_t budget_blocked_mask(const Policy& policy, const PlanInput& in, size_t c) {
  if (c < policy.class_limits.size() && policy.class_limits[c].on_budget != BudgetAction::block) return 0;
  return in.budget_exhausted;
}

// Leaves out of `links[0..n)` those in `mask`, unless that would leave none: then the class still goes there and
// the link's meter drops it by name (budget_exhausted) rather than as no_usable_link.
void skip_links(uint8_t* links, uint32_t& n, uint16_t mask) {
  uint32_t kept = 0;
  for (uint32_t i = 0; i < n; i++)
    if (!((mask >> links[i]) & 1u)) kept++;
  if (kept == 0) return;
  uint32_t j = 0;
  for (uint32_t i = 0; i < n; i++)
    if (!((mask >> links[i]) & 1u)) links[j++] = links[i];
  n = j;
}

}  // namespace

Plan plan_steering(const Policy& policy, const PlanInput& in, const Plan* previous) {
  Plan plan{};
  const uint16_t nat_links = nat_link_mask(policy);
  for (auto& cs : plan.table.cls) std::memset(cs.pick_slot, kNoLink, sizeof cs.pick_slot);
  for (size_t c = 0; c < policy.classes.size() && c < kMaxClasses; c++) {
    const ClassSpec& spec = policy.classes[c];
    ClassSteering& cs = plan.table.cls[c];
    ClassPlan& cp = plan.cls[c];
    cs.mode = spec.mode;
    cs.by_host_pair = spec.stick_by == StickBy::host_pair;
    // Links in the order of the class's paths, each with its kind (direct or overlay) now.
    ClassLinkOrder order = order_class_links(spec, c, in);
    cs.allowed_mask = order.allowed_mask;
    cs.overlay_mask = order.overlay_mask;
    uint8_t* alive = order.alive;
    uint8_t* ok = order.ok;
    uint32_t& n_alive = order.n_alive;
    uint32_t& n_ok = order.n_ok;
    if (n_alive == 0) continue;  // every slot stays kNoLink: the class is dropped and counted; flows keep state
    const uint16_t spent = budget_blocked_mask(policy, in, c);
    skip_links(alive, n_alive, spent);
    skip_links(ok, n_ok, spent);
    if (n_ok > 0 && ((spent >> ok[0]) & 1u) && !((spent >> alive[0]) & 1u)) n_ok = 0;  // only spent links meet it
    for (uint32_t i = 0; i < n_alive; i++) cs.usable_mask = static_cast<uint16_t>(cs.usable_mask | (1u << alive[i]));
    uint8_t fallback_link = kNoLink;
    if (n_ok == 0) {  // nothing meets the SLA: the best alive link rather than a blackhole
      cp.fallback = true;
      fallback_link = lowest_score(in, alive, n_alive);
      ok[n_ok++] = fallback_link;
    }
    uint16_t ok_mask = 0;
    for (uint32_t i = 0; i < n_ok; i++) ok_mask = static_cast<uint16_t>(ok_mask | (1u << ok[i]));

    switch (spec.mode) {
      case SteerMode::priority:
        cp.first = ok[0];
        break;
      case SteerMode::best: {
        uint8_t best = lowest_score(in, ok, n_ok);
        // Keep the link in use unless the other is better by 20 % and 5 ms: similar links must not swap flows.
        const ClassPlan* prev = previous ? &previous->cls[c] : nullptr;
        if (prev && prev->first != kNoLink && prev->first != best && ((ok_mask >> prev->first) & 1u) &&
            in.score[best] * 1.2 + 5.0 >= in.score[prev->first])
          best = prev->first;
        cp.first = best;
        break;
      }
      case SteerMode::balance:
        cp.first = ok[0];
        break;
    }
    if (spec.mode == SteerMode::balance) {
      fill_balance(policy, ok, n_ok, cs);
      cp.picked_mask = ok_mask;
    } else {
      std::memset(cs.pick_slot, cp.first, sizeof cs.pick_slot);
      cp.picked_mask = static_cast<uint16_t>(1u << cp.first);
    }
    // Which cached flows may stay where they are: those on a picked link always; on another link that meets the
    // SLA only if the class keeps flows on recovery (a call in progress is not moved twice; by default those whose
    // NAT mapping lives there, so failback resets no session); on an alive link
    // out of SLA only if the class stays on breach. Flows on a dead or forbidden link always move.
    uint16_t stay = cp.picked_mask;
    if (spec.on_recovery == OnRecovery::stay) stay = static_cast<uint16_t>(stay | ok_mask);
    if (spec.on_recovery == OnRecovery::automatic) stay = static_cast<uint16_t>(stay | (ok_mask & nat_links));
    if (spec.on_sla_breach == OnBreach::stay) stay = static_cast<uint16_t>(stay | cs.usable_mask);
    const uint16_t blocked = static_cast<uint16_t>(blocked_link_mask(policy, c) | spent);
    if (cs.usable_mask & ~blocked) stay = static_cast<uint16_t>(stay & ~blocked);  // unless nothing else is usable
    cs.stay_mask = static_cast<uint16_t>(stay & cs.usable_mask);
    cs.dup_link = duplicate_link(spec, order, cp.first);
  }
  return plan;
}

SteeringTable plan_steering(const Policy& policy, const std::array<bool, kMaxLinks>& usable) {
  PlanInput in;
  in.alive = usable;
  for (auto& row : in.sla_ok) row.fill(true);
  return plan_steering(policy, in, nullptr).table;
}

}  // namespace wansteer
