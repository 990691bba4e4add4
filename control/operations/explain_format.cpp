// wansteer --explain's two renderings of a PolicyExplanation: a terminal table per scenario, and a Markdown runbook
// section ("What staff should expect when the fiber fails") an office can paste into its continuity plan.
#include <fmt/format.h>

#include <algorithm>

#include "control/budget/budget_period.hpp"
#include "control/operations/policy_explain.hpp"

namespace wansteer {

namespace {

std::string rate(uint64_t bps) {
  auto fixed = [](double v, const char* unit) {
    std::string s = fmt::format("{:.1f}", v);
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s + unit;
  };
  if (bps >= 1000000000) return fixed(bps / 1e9, " Gbit/s");
  if (bps >= 1000000) return fixed(bps / 1e6, " Mbit/s");
  if (bps >= 1000) return fixed(bps / 1e3, " kbit/s");
  return fmt::format("{} bit/s", bps);
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// What the class can count on upstream on this link.
std::string upstream(const ClassOnLink& x) {
  if (x.budget_blocked) return "nothing: blocked here (data budget spent; on_budget_exhausted: block)";
  if (x.blocked) return "nothing: blocked here (on_backup: block)";
  if (x.priority == 0)
    return x.ceiling_bps ? fmt::format("up to {} (its limit; no shaper: capacity.up not set)", rate(x.ceiling_bps))
                         : "the line's rate (no shaper: capacity.up not set, so no priority)";
  std::string s = fmt::format("up to {}", rate(x.ceiling_bps));
  if (!x.unlimited_above.empty())
    return s + fmt::format(", after {} (unlimited): nothing guaranteed while they fill the line",
                           joined(x.unlimited_above));
  if (!x.limited_above.empty())
    return s + fmt::format(", at least {} (what {} leave at their limits)", rate(x.guaranteed_bps),
                           joined(x.limited_above));
  return s + ", served first (shared only with lower-priority classes)";
}

// The link's name, or "overlay via fiber" when the class reaches the hub through the overlay over it.
std::string path_text(const Policy& p, const ClassOnLink& x) {
  return x.overlay ? "overlay via " + p.links[x.link].name : p.links[x.link].name;
}

std::string limit_text(const ClassOnLink& x) {
  return x.blocked ? "blocked" : x.limit_bps ? rate(x.limit_bps) : "none";
}

std::string priority_text(const ClassOnLink& x, size_t n_classes) {
  return x.priority ? fmt::format("{} of {}", x.priority, n_classes) : "-";
}

std::string no_link_text(const Policy& p, const ClassOutcome& o) {
  const int c = p.class_index(o.name);
  std::vector<std::string> names;
  for (uint8_t l : p.classes[c].links) names.push_back(p.links[l].name);
  return fmt::format("blocked: no link it may use is up ({})", joined(names));
}

// Rows in the shaper's priority order (highest first), then any class it does not list, so the table reads top-down.
std::vector<const ClassOutcome*> rows(const Policy& p, const Scenario& s) {
  std::vector<const ClassOutcome*> out;
  for (uint8_t c : p.shaper.priority)
    if (c < s.classes.size()) out.push_back(&s.classes[c]);
  for (const ClassOutcome& o : s.classes)
    if (std::find(out.begin(), out.end(), &o) == out.end()) out.push_back(&o);
  return out;
}

std::vector<std::string> blocked_classes(const Scenario& s) {
  std::vector<std::string> out;
  for (const ClassOutcome& o : s.classes)
    if (o.blocked()) out.push_back(o.name);
  return out;
}

std::string header(const Policy& p) {
  std::string links;
  for (const LinkSpec& l : p.links)
    links += fmt::format("{}{} ({}{}{})", links.empty() ? "" : ", ", l.name,
                         l.role == LinkRole::primary ? "primary" : "backup",
                         l.budget    ? ", metered " + size_str(l.budget->bytes) + " " + period_name(l.budget->period)
                         : l.metered ? ", metered"
                                     : "",
                         l.capacity_up_bps ? ", up " + rate(l.capacity_up_bps) : "");
  return fmt::format("policy {}: links {}; {} classes, {} rules", p.name.empty() ? p.path : p.name, links,
                     p.classes.size(), p.rules.size());
}

const char* kShareNote =
    "Upstream: each line with capacity.up is shaped to it and serves classes in strict priority order. A class can "
    "send up to capacity.up (or its own limit) while the classes above it are idle; it can count on what is left "
    "when every class above it sends at its limit, and on nothing guaranteed when one above it has no limit.";

}  // namespace

std::string scenario_title(const Policy& p, const Scenario& s) {
  switch (s.kind) {
    case Scenario::Kind::normal:
      return "Normal operation (every link up and within every SLA)";
    case Scenario::Kind::link_down:
      return fmt::format("{} down", p.links[s.link].name);
    case Scenario::Kind::out_of_voice_sla:
      return fmt::format("{} out of the voice SLA (loss > 1 %, RTT > 150 ms or jitter > 30 ms), which {} then leave",
                         p.links[s.link].name, joined(s.sla_losers));
    case Scenario::Kind::budget_spent: {
      const BudgetSpec& b = *p.links[s.link].budget;
      return fmt::format("{}'s data budget spent ({} {}, until the period resets){}", p.links[s.link].name,
                         size_str(b.bytes), period_name(b.period),
                         p.links[s.link].role == LinkRole::backup ? ", while the primary links are down" : "");
    }
  }
  return "";
}

std::string explain_text(const Policy& p, const PolicyExplanation& e) {
  std::string out = header(p) + "\n" + kShareNote + "\n";
  size_t wc = 5, wl = 4;
  for (const ClassSpec& c : p.classes) wc = std::max(wc, c.name.size());
  for (const LinkSpec& l : p.links) wl = std::max(wl, l.name.size() + (p.overlay.enabled ? 12 : 0));
  for (const Scenario& s : e.scenarios) {
    out += fmt::format("\n== {} ==\n  {:<{}}  {:<{}}  {:<12}  {:<8}  {}\n", scenario_title(p, s), "class", wc, "link",
                       wl, "limit", "priority", "upstream it can count on");
    for (const ClassOutcome* row : rows(p, s)) {
      const ClassOutcome& o = *row;
      if (o.links.empty()) out += fmt::format("  {:<{}}  {:<{}}  {}\n", o.name, wc, "-", wl, no_link_text(p, o));
      for (const ClassOnLink& x : o.links)
        out += fmt::format("  {:<{}}  {:<{}}  {:<12}  {:<8}  {}{}\n", o.name, wc, path_text(p, x), wl, limit_text(x),
                           priority_text(x, p.classes.size()), upstream(x),
                           o.fallback ? " [fallback: no allowed link meets its SLA]" : "");
    }
    const std::vector<std::string> blocked = blocked_classes(s);
    out += fmt::format("  blocked: {}\n", blocked.empty() ? "none" : joined(blocked));
  }
  out += fmt::format("\nwarnings: {}\n", e.warnings.empty() ? "none" : std::to_string(e.warnings.size()));
  for (const PolicyError& w : e.warnings) out += "  " + w.to_string() + "\n";
  return out;
}

std::string explain_markdown(const Policy& p, const PolicyExplanation& e) {
  std::string out =
      fmt::format("## What staff should expect when a line fails ({})\n\n", p.name.empty() ? p.path : p.name);
  out += fmt::format("Generated by `wansteer --explain {} --format markdown` from the policy the edge runs; {}.\n\n",
                     p.path, header(p));
  out += std::string(kShareNote) + "\n";
  for (const Scenario& s : e.scenarios) {
    if (s.kind == Scenario::Kind::normal)
      out += "\n### Normal operation\n\n";
    else if (s.kind == Scenario::Kind::link_down)
      out += fmt::format("\n### What staff should expect when the {} fails\n\n", p.links[s.link].name);
    else if (s.kind == Scenario::Kind::budget_spent)
      out += fmt::format("\n### When the {} has used up its data budget\n\n{}.\n\n", p.links[s.link].name,
                         scenario_title(p, s));
    else
      out +=
          fmt::format("\n### When the {} is too poor for calls\n\n{}.\n\n", p.links[s.link].name, scenario_title(p, s));
    out += "| Traffic | Line | Rate limit | Priority | Upstream it can count on |\n|---|---|---|---|---|\n";
    for (const ClassOutcome* row : rows(p, s)) {
      const ClassOutcome& o = *row;
      if (o.links.empty()) out += fmt::format("| {} | none | - | - | {} |\n", o.name, no_link_text(p, o));
      for (const ClassOnLink& x : o.links)
        out += fmt::format("| {} | {} | {} | {} | {}{} |\n", o.name, path_text(p, x), limit_text(x),
                           priority_text(x, p.classes.size()), upstream(x),
                           o.fallback ? " (fallback: no allowed line meets its SLA)" : "");
    }
    const std::vector<std::string> blocked = blocked_classes(s);
    out += fmt::format("\n**Not working:** {}.\n", blocked.empty() ? "nothing" : joined(blocked));
  }
  if (!e.warnings.empty()) {
    out += "\n### Policy warnings\n\n";
    for (const PolicyError& w : e.warnings) out += fmt::format("- `{}`\n", w.to_string());
  }
  return out;
}

}  // namespace wansteer
