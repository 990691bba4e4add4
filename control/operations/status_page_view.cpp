// ControlPlane::status_snapshot and record_history: what the status page shows, copied from control state on the
// control thread (the HTTP thread renders the copy), and the per-link history its graphs draw.
#include <algorithm>
#include <chrono>
#include <ctime>

#include "control/operations/overlay_show.hpp"
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

// "2026-12-01 00:00 UTC"
std::string utc_time(int64_t unix_s) {
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// One metered link's row: usage, the next reset, and what each class allowed on the link does once it is spent
// (on_budget_exhausted), e.g. "block: default, guest; allow: voip; limit: m365 (1.0 Mbit/s)".
StatusSnapshot::BudgetRow budget_row(const BudgetView& b, const Policy& p) {
  StatusSnapshot::BudgetRow row{b.link, b.used_bytes, b.budget_bytes, utc_time(b.period_end), ""};
  std::string block, allow, limit;
  for (size_t c = 0; c < p.classes.size(); ++c) {
    const ClassSpec& cs = p.classes[c];
    const bool on_link = std::any_of(cs.links.begin(), cs.links.end(),
                                     [&](uint8_t l) { return l < p.links.size() && p.links[l].name == b.link; });
    if (!on_link) continue;
    const ClassLimitSpec lim = c < p.class_limits.size() ? p.class_limits[c] : ClassLimitSpec{};
    auto add = [&](std::string& list, const std::string& item) { list += (list.empty() ? "" : ", ") + item; };
    if (lim.on_budget == BudgetAction::allow)
      add(allow, cs.name);
    else if (lim.on_budget == BudgetAction::block)
      add(block, cs.name);
    else
      add(limit, cs.name + " (" + std::to_string(lim.budget_limit.rate_bps / 1000) + " kbit/s)");
  }
  for (const auto& [word, list] : {std::pair{"block", &block}, {"allow", &allow}, {"limit", &limit}})
    if (!list->empty()) row.action += (row.action.empty() ? "" : "; ") + std::string(word) + ": " + *list;
  return row;
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
  for (const BudgetView& b : budgets_.views()) s.budgets.push_back(budget_row(b, policy_));
  if (const OverlayView o = overlay_view(); o.enabled) {
    StatusSnapshot::Overlay so{o.hub, o.public_key, o.session, overlay_last_link(policy_, o), std::nullopt};
    if (overlay_handshake_done(o)) so.last_handshake_age_ms = o.last_handshake_age_ms;
    s.overlay = std::move(so);
  }
  return s;
}

}  // namespace wansteer
