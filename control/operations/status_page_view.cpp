// ControlPlane::status_snapshot and record_history: what the status page shows, copied from control state on the
// control thread (the HTTP thread renders the copy), and the per-link history its graphs draw.
#include <chrono>

#include "control/operations/status_snapshot.hpp"
#include "control/runtime/control_plane.hpp"

#ifndef WANSTEER_VERSION
#define WANSTEER_VERSION "unknown"
#endif

namespace wansteer {

namespace {

uint64_t unix_ms_now() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Why a class has no link: each allowed link and why it cannot carry the class.
std::string why_blocked(const ClassSpec& cs, const Policy& p, const std::vector<LinkView>& links) {
  if (cs.links.empty()) return "no links allowed in the policy";
  std::string why = "no allowed link usable:";
  for (uint8_t l : cs.links) {
    if (l >= links.size()) continue;
    why += (why.back() == ':' ? " " : ", ") + p.links[l].name + " " + links[l].state;
    if (!links[l].cause.empty()) why += " (" + links[l].cause + ")";
  }
  return why;
}

}  // namespace

void ControlPlane::record_history(uint64_t now) {
  const uint64_t now_ms = now / clock_.ms();
  if (!history_.due(now_ms)) return;
  const StatsView v = stats_view();
  std::vector<LinkSample> samples;
  const uint64_t unix_ms = unix_ms_now();
  for (const LinkView& lv : v.links)
    samples.push_back({unix_ms, sample_state(lv.state), static_cast<float>(lv.loss_pct), static_cast<float>(lv.rtt_ms),
                       static_cast<float>(lv.jitter_ms)});
  history_.record(now_ms, samples);
}

StatusSnapshot ControlPlane::status_snapshot() {
  StatusSnapshot s;
  s.site = policy_.name;
  s.version = WANSTEER_VERSION;
  s.unix_ms = unix_ms_now();
  s.policy_generation = policy_generation_;
  const StatsView v = stats_view();
  for (size_t l = 0; l < v.links.size(); l++) {
    const LinkView& lv = v.links[l];
    const LinkSpec& ls = policy_.links[l];
    s.links.push_back({ls.name, ls.role == LinkRole::backup ? "backup" : "primary", lv.state, lv.cause, lv.admin_up,
                       lv.probing, lv.loss_pct, lv.rtt_ms, lv.jitter_ms, history_.samples(l)});
  }
  for (size_t c = 0; c < v.classes.size(); c++) {
    const ClassView& cv = v.classes[c];
    const ClassSpec& cs = policy_.classes[c];
    StatusSnapshot::Class& out = s.classes.emplace_back();
    out.name = cs.name;
    out.links = cv.links;
    out.fallback = cv.fallback;
    out.sla = cv.sla;
    const uint8_t first = steering_.plan().cls[c].first;
    const bool on_backup = first < policy_.links.size() && policy_.links[first].role == LinkRole::backup;
    const bool backup_blocked =
        c < policy_.class_limits.size() && policy_.class_limits[c].on_backup == BackupMode::block;
    if (cv.links.empty()) {
      out.blocked = true;
      out.why = why_blocked(cs, policy_, v.links);
    } else if (on_backup && backup_blocked) {
      out.blocked = true;
      out.why = "on backup link " + cv.links.front() + ", where the policy blocks it (on_backup: block)";
    } else if (cv.fallback) {
      out.why = "no allowed link meets the SLA: running on the best available";
    }
  }
  s.events = events_.recent(StatusSnapshot::kEvents);
  // s.budgets: the data-budget hook (see StatusSnapshot::BudgetRow); empty until metered-link budgets exist.
  return s;
}

}  // namespace wansteer
