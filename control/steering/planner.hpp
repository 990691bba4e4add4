// Planner: turns the policy's classes and the links' current health into the SteeringTable workers read.
#pragma once
#include <array>

#include "control/policy/policy.hpp"
#include "dataplane/steering.hpp"

namespace wansteer {

// What the planner needs to know about the links now. Pure data: tests fill it by hand.
struct PlanInput {
  std::array<bool, kMaxLinks> alive{};    // admin up, next hop resolved, answering probes (after hold-down)
  std::array<double, kMaxLinks> score{};  // link_score(): lower is better
  std::array<std::array<bool, kMaxLinks>, kMaxClasses> sla_ok{};  // [class][link]: meets the class's SLA
  uint16_t budget_exhausted = 0;  // bit l: link l's data budget is spent (control/budget/link_budgets.hpp)
  // [l]: the overlay to the hub works over link l now (a session with a send key, the link alive); issue 13.
  std::array<bool, kMaxLinks> overlay_alive{};
  // [class][link]: the overlay over link l meets class c's SLA, judged on probes through the tunnel to the hub
  // (control/runtime/overlay_paths.hpp) when overlay_probed; otherwise (tests, --explain, no address to probe from)
  // overlay candidates are judged by the link's own sla_ok.
  std::array<std::array<bool, kMaxLinks>, kMaxClasses> overlay_sla_ok{};
  bool overlay_probed = false;
};

struct ClassPlan {
  uint16_t picked_mask = 0;  // links that new flows of the class go to
  uint8_t first = kNoLink;   // the preferred one among them (priority/best: the only one)
  bool fallback = false;     // no allowed link meets the SLA: the class runs on the best alive link instead
};

struct Plan {
  SteeringTable table;
  std::array<ClassPlan, kMaxClasses> cls{};
};

// Effective latency in ms, the figure `best` mode and the no-SLA fallback compare: RTT plus twice the jitter
// (what a jitter buffer adds) plus 10 ms per percent of loss (a lost voice frame costs about as much as that much
// delay in the E-model). Links without measurements score 0.
double link_score(double rtt_ms, double jitter_ms, double loss_pct);

// Per class: links that are alive and allowed and meet the SLA qualify (a link whose budget is spent does not, for
// a class blocked there by on_budget_exhausted, while another allowed link is alive); with none qualifying, the best
// alive allowed link is used (fallback) rather than dropping the class. Among qualifying links: priority = first in the
// class's order, balance = weighted by flow hash, best = lowest score (kept unless another is clearly better, so
// two similar links do not swap flows back and forth). `previous` (may be null) is the plan now in force.
//
// Paths (issue 13): a class's `paths` expand to ordered (link, direct|overlay) candidates (class_paths_plan.hpp;
// none given: direct over `links`, as before). An overlay candidate also needs overlay_alive[link]. The class's
// link order is that of each link's first usable candidate, and a link's kind (overlay_mask) is that candidate's:
// one kind per link, so [overlay, direct] runs overlay over the first link while the overlay works there, direct
// otherwise. The fallback link keeps the kind of its first usable candidate too: the SLA is judged on the link's
// own figures whatever the kind, so leaving the overlay would not help it, and direct is never allowed where the
// class lists no direct candidate. A class whose paths are all overlay must never leak out directly (its traffic
// is meant to leave at the hub): with the overlay down over every link it has no usable link, and workers drop it
// as no_usable_link. A link usable only through a dead overlay is out of usable_mask and stay_mask, so its cached
// flows move; a change of kind on a link reaches cached flows with the next snapshot (workers read overlay_mask).
// Pure function: same inputs, same plan.
Plan plan_steering(const Policy& policy, const PlanInput& in, const Plan* previous);

// Without health data: usable[i] links are alive and meet every SLA; the overlay counts as down (no handshake).
SteeringTable plan_steering(const Policy& policy, const std::array<bool, kMaxLinks>& usable);

}  // namespace wansteer
