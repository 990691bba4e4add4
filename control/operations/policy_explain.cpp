// explain_policy: builds each scenario's synthetic link health, runs plan_steering and plan_egress on it (the
// functions the running edge uses), and reads off per class the link, limit, priority and upstream share.
#include "control/operations/policy_explain.hpp"

#include <algorithm>

#include "control/runtime/egress_plan.hpp"
#include "control/steering/planner.hpp"

namespace wansteer {

namespace {

constexpr uint64_t kTscHz = 1000000000;  // any rate will do: only meter rates and the shaper order are read

bool on_link(const ClassOutcome& o, uint8_t link) {
  return std::any_of(o.links.begin(), o.links.end(),
                     [&](const ClassOnLink& x) { return x.link == link && !x.blocked; });
}

uint64_t limit_of(const ClassOutcome& o, uint8_t link) {
  for (const ClassOnLink& x : o.links)
    if (x.link == link) return x.limit_bps;
  return 0;
}

// The upstream share of each class on each link: strict priority, so a class gets what the classes above it on
// the same link leave; only their limits bound what they take.
void fill_shares(const Policy& p, const EgressPlan& eg, std::vector<ClassOutcome>& classes) {
  for (ClassOutcome& o : classes) {
    for (ClassOnLink& x : o.links) {
      const ShaperConfig& s = eg.shaper[x.link];
      x.capacity_bps = p.links[x.link].capacity_up_bps;
      x.ceiling_bps =
          x.capacity_bps && x.limit_bps ? std::min(x.capacity_bps, x.limit_bps) : std::max(x.capacity_bps, x.limit_bps);
      if (!s.enabled || x.blocked) continue;
      uint64_t above = 0;
      for (unsigned i = 0; i < s.n_order; i++) {
        const uint8_t c = s.order[i];
        if (p.classes[c].name == o.name) {
          x.priority = i + 1;
          break;
        }
        if (!on_link(classes[c], x.link)) continue;
        const uint64_t lim = limit_of(classes[c], x.link);
        (lim ? x.limited_above : x.unlimited_above).push_back(p.classes[c].name);
        above += lim;
      }
      const uint64_t left = x.capacity_bps > above ? x.capacity_bps - above : 0;
      x.guaranteed_bps = x.unlimited_above.empty() ? std::min(left, x.ceiling_bps) : 0;
    }
  }
}

Scenario run_scenario(const Policy& p, Scenario s, const PlanInput& in) {
  const Plan plan = plan_steering(p, in, nullptr);
  const EgressPlan eg = plan_egress(p, in.alive, nullptr, kTscHz, in.budget_exhausted);
  for (size_t c = 0; c < p.classes.size() && c < kMaxClasses; c++) {
    ClassOutcome o;
    o.name = p.classes[c].name;
    o.fallback = plan.cls[c].fallback;
    for (uint8_t l = 0; l < p.links.size() && l < kMaxLinks; l++) {
      if (!((plan.cls[c].picked_mask >> l) & 1u)) continue;
      const MeterProfile& m = eg.meter[c][l];
      ClassOnLink x;
      x.link = l;
      x.overlay = plan.table.cls[c].via_overlay(l);
      x.blocked = m.mode == MeterMode::block || m.mode == MeterMode::budget;
      x.budget_blocked = m.mode == MeterMode::budget;
      x.limit_bps = m.mode == MeterMode::limit ? m.cir * 8 : 0;
      o.links.push_back(x);
    }
    s.classes.push_back(std::move(o));
  }
  fill_shares(p, eg, s.classes);
  return s;
}

PlanInput healthy(const Policy& p) {
  PlanInput in;
  for (size_t l = 0; l < p.links.size() && l < kMaxLinks; l++) in.alive[l] = true;
  for (auto& row : in.sla_ok) row.fill(true);
  // With an overlay section the hub answers over every link; a link down takes its overlay with it (planner).
  if (p.overlay.enabled) in.overlay_alive = in.alive;
  return in;
}

}  // namespace

bool ClassOutcome::blocked() const {
  return std::all_of(links.begin(), links.end(), [](const ClassOnLink& x) { return x.blocked; });
}

bool voice_like_sla(const SlaSpec& sla) {
  const SlaSpec voice = *sla_preset("voice");
  return sla.max_loss_pct <= voice.max_loss_pct || sla.max_rtt_ms <= voice.max_rtt_ms ||
         sla.max_jitter_ms <= voice.max_jitter_ms;
}

PolicyExplanation explain_policy(const Policy& p, std::vector<PolicyError> warnings) {
  PolicyExplanation e;
  e.warnings = std::move(warnings);
  const size_t n_links = std::min<size_t>(p.links.size(), kMaxLinks);
  e.scenarios.push_back(run_scenario(p, Scenario{}, healthy(p)));
  for (uint8_t l = 0; l < n_links; l++) {
    PlanInput in = healthy(p);
    in.alive[l] = false;
    e.scenarios.push_back(run_scenario(p, Scenario{Scenario::Kind::link_down, l, {}, {}}, in));
  }
  std::vector<size_t> voice;
  for (size_t c = 0; c < p.classes.size() && c < kMaxClasses; c++)
    if (voice_like_sla(p.classes[c].sla)) voice.push_back(c);
  for (uint8_t l = 0; l < n_links && !voice.empty(); l++) {
    PlanInput in = healthy(p);
    in.score[l] = link_score(0, 0, 100);  // worse than any healthy link, so a fallback picks another one
    Scenario s{Scenario::Kind::out_of_voice_sla, l, {}, {}};
    for (size_t c : voice) {
      in.sla_ok[c][l] = false;
      s.sla_losers.push_back(p.classes[c].name);
    }
    e.scenarios.push_back(run_scenario(p, std::move(s), in));
  }
  for (uint8_t l = 0; l < n_links; l++) {
    if (!p.links[l].budget) continue;
    PlanInput in = healthy(p);
    in.budget_exhausted = static_cast<uint16_t>(1u << l);
    // A backup carries traffic when the primaries are down: that is when its spent budget matters.
    if (p.links[l].role == LinkRole::backup)
      for (uint8_t k = 0; k < n_links; k++) in.alive[k] = k == l || p.links[k].role == LinkRole::backup;
    e.scenarios.push_back(run_scenario(p, Scenario{Scenario::Kind::budget_spent, l, {}, {}}, in));
  }
  return e;
}

}  // namespace wansteer
