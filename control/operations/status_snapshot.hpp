// The status page (GET /status, /status.json): StatusSnapshot, the plain copy of control state the control thread
// hands to the HTTP thread, and its two renderings. The HTTP thread renders only this, never control state.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/operations/link_history.hpp"
#include "control/steering/events.hpp"

namespace wansteer {

struct StatusSnapshot {
  struct Link {
    std::string name, role;      // role: "primary" | "backup"
    std::string state = "down";  // "up" | "degraded" | "down", as `wansteerctl show links`
    std::string cause;           // why it is in that state (last change)
    bool admin_up = true, probing = false;
    double loss_pct = 0, rtt_ms = 0, jitter_ms = 0;
    std::vector<LinkSample> history;  // oldest first, one per LinkHistory::kPeriodMs
  };
  struct Class {
    std::string name;
    std::vector<std::string> links;  // where new flows go now, preferred first; empty when blocked
    bool blocked = false;
    std::string why;        // blocked: the reason; else empty or "sla fallback: ..."
    bool fallback = false;  // no allowed link meets the SLA: running on the best available
    std::string sla;
  };
  // Data budgets of metered links. HOOK for the data-budget feature: nothing fills it yet, and the page says
  // "no metered links" while it is empty. Fill one row per metered link in ControlPlane::status_snapshot().
  struct BudgetRow {
    std::string link;
    uint64_t used_bytes = 0, budget_bytes = 0;  // this period
    std::string period_ends;                    // e.g. "2026-12-01"
    std::string action;                         // what happens at the limit, e.g. "block guest, default"
  };

  // The WireGuard overlay to the hub (issue 13), when the policy has one: as `wansteerctl show overlay` heads it.
  struct Overlay {
    std::string hub, public_key;  // ours: what the hub's config names
    bool session = false;
    std::string last_link;                          // "" before any message left
    std::optional<uint64_t> last_handshake_age_ms;  // none before a handshake completed
  };

  std::string site;  // the policy's name
  std::string version;
  uint64_t unix_ms = 0;  // when control built it
  uint64_t policy_generation = 0;
  std::vector<Link> links;
  std::vector<Class> classes;
  std::vector<Event> events;  // the last kEvents, oldest first
  std::vector<BudgetRow> budgets;
  std::optional<Overlay> overlay;

  static constexpr size_t kEvents = 20;
};

// The page: HTML with inline CSS and SVG history graphs, no external assets; reloads itself every kRefreshSeconds.
// Every string from the policy or the events is escaped.
inline constexpr int kStatusRefreshSeconds = 5;
std::string status_html(const StatusSnapshot& s);
// The same content as JSON (for scripts and the page's tests).
std::string status_json(const StatusSnapshot& s);
// `text` with &, <, >, " and ' replaced by entities: safe in HTML text and quoted attributes.
std::string html_escape(const std::string& text);

}  // namespace wansteer
