// The warnings pass over a valid policy: one small check per silent failure, each pointing at the key or list item
// an operator would change. Rule shadowing lives in rule_shadowing.cpp.
#include "control/policy/policy_warnings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace wansteer {

namespace {

using Warnings = std::vector<PolicyError>;

void warn(Warnings& out, const SourceLoc& loc, std::string reason) {
  out.push_back(PolicyError{loc, std::move(reason), Severity::warning});
}

std::string metered_links(const Policy& p, const std::vector<uint8_t>& links) {
  std::string names;
  for (uint8_t l : links)
    if (p.links[l].metered) names += (names.empty() ? "" : ", ") + p.links[l].name;
  return names;
}

// No classes written: every flow is class default, which may use every link, metered ones too.
void check_no_classes(const Policy& p, Warnings& out) {
  if (p.origins.declared_classes != 0) return;
  const std::string metered = metered_links(p, p.classes[p.default_class].links);
  warn(out, p.origins.classes,
       fmt::format("no classes: all traffic is class default on every link{}; add classes (e.g. voip) and rules",
                   metered.empty() ? "" : fmt::format(", metered {} too, without a limit", metered)));
}

// A class limited on a link's role: what applies on a backup link (role backup, or standing in for the primary).
bool blocked_on_backup(const Policy& p, size_t c) {
  return c < p.class_limits.size() && p.class_limits[c].on_backup == BackupMode::block;
}

// A class whose every allowed link is a backup where on_backup blocks it: it can never send.
void check_never_sends(const Policy& p, Warnings& out) {
  for (size_t c = 0; c < p.classes.size(); c++) {
    const ClassSpec& cs = p.classes[c];
    if (cs.links.empty() || !blocked_on_backup(p, c)) continue;
    const bool all_backup =
        std::all_of(cs.links.begin(), cs.links.end(), [&](uint8_t l) { return p.links[l].role == LinkRole::backup; });
    if (!all_backup) continue;
    std::string names;
    for (uint8_t l : cs.links) names += (names.empty() ? "" : ", ") + p.links[l].name;
    warn(out, cs.loc,
         fmt::format("class \"{}\" can never send: its only links ({}) have role backup and it has on_backup: block; "
                     "add a primary link or drop on_backup: block",
                     cs.name, names));
  }
}

// A class no rule puts traffic into (default excepted: it takes what no rule matches).
void check_classes_without_rules(const Policy& p, Warnings& out) {
  for (size_t c = 0; c < p.classes.size(); c++) {
    if (c == p.default_class) continue;
    const bool named = std::any_of(p.rules.begin(), p.rules.end(), [&](const ClassRule& r) { return r.class_id == c; });
    if (!named)
      warn(out, p.classes[c].loc,
           fmt::format("class \"{}\" has no rule: no traffic is ever put in it; add a rule with class: {}",
                       p.classes[c].name, p.classes[c].name));
  }
}

// A link no class lists carries nothing (it is still probed).
void check_unused_links(const Policy& p, Warnings& out) {
  for (size_t l = 0; l < p.links.size(); l++) {
    const bool used = std::any_of(p.classes.begin(), p.classes.end(), [&](const ClassSpec& c) {
      return std::find(c.links.begin(), c.links.end(), l) != c.links.end();
    });
    if (!used)
      warn(out, p.links[l].loc,
           fmt::format("link \"{}\" is in no class's links: no traffic ever uses it", p.links[l].name));
  }
}

// capacity.down alone shapes nothing: the shaper (and so the class priority order) needs capacity.up.
void check_shaping_without_up(const Policy& p, Warnings& out) {
  for (const LinkSpec& l : p.links)
    if (l.shaping && l.capacity_up_bps == 0 && l.capacity_down_bps != 0)
      warn(out, l.capacity_loc.line ? l.capacity_loc : l.loc,
           fmt::format("link \"{}\": capacity has only down, so nothing is shaped and the shaper's priority order "
                       "does not apply (the queue builds in the modem); add capacity.up, the upstream rate",
                       l.name));
}

// The default class on a metered link with no limit there: unmatched traffic (updates, backups) spends the data.
void check_default_on_metered(const Policy& p, Warnings& out) {
  if (p.origins.declared_classes == 0) return;  // check_no_classes says it
  const size_t d = p.default_class;
  const ClassLimitSpec none{};
  const ClassLimitSpec& lim = d < p.class_limits.size() ? p.class_limits[d] : none;
  std::string names;
  for (uint8_t l : p.classes[d].links) {
    if (!p.links[l].metered) continue;
    // On a backup link on_backup decides (same = the class's own limit); on a primary the own limit does.
    const bool backup = p.links[l].role == LinkRole::backup;
    const bool limited = backup ? lim.on_backup == BackupMode::block || lim.on_backup == BackupMode::limit ||
                                      (lim.on_backup == BackupMode::same && lim.limit)
                                : lim.limit.has_value();
    if (!limited) names += (names.empty() ? "" : ", ") + p.links[l].name;
  }
  if (!names.empty())
    warn(out, p.classes[d].loc,
         fmt::format("class \"default\" may use metered {} without a limit: any traffic no rule matches (updates, "
                     "cloud backups) can spend its data; add on_backup: {{limit: {{rate: ...}}}} or block, or remove "
                     "the link from its links",
                     names));
}

}  // namespace

std::vector<PolicyError> policy_warnings(const Policy& policy) {
  Warnings out;
  check_no_classes(policy, out);
  check_never_sends(policy, out);
  check_classes_without_rules(policy, out);
  check_unused_links(policy, out);
  check_shaping_without_up(policy, out);
  check_default_on_metered(policy, out);
  for (PolicyError& w : rule_shadow_warnings(policy)) out.push_back(std::move(w));
  std::stable_sort(out.begin(), out.end(), [](const PolicyError& a, const PolicyError& b) {
    return std::tie(a.loc.line, a.loc.column) < std::tie(b.loc.line, b.loc.column);
  });
  return out;
}

}  // namespace wansteer
