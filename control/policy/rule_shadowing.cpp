// Rules that can never match: a later rule whose every packet an earlier rule already takes (first match wins).
// Sound, not complete: "covers" is only claimed when it holds for every packet, key by key.
#include <fmt/format.h>

#include <algorithm>

#include "control/policy/policy_warnings.hpp"

namespace wansteer {

namespace {

bool covers(const PortRange& a, const PortRange& b) {
  // A range other than "any" matches only TCP/UDP packets, so "any" is covered only by "any".
  return a.any() || (!b.any() && a.lo <= b.lo && b.hi <= a.hi);
}

bool covers4(const Prefix4& a, const Prefix4& b) {
  const uint32_t mask = a.len == 0 ? 0 : ~uint32_t{0} << (32 - a.len);
  return a.len <= b.len && (a.addr & mask) == (b.addr & mask);
}

bool covers6(const Prefix6& a, const Prefix6& b) {
  if (a.len > b.len) return false;
  for (int bit = 0; bit < a.len; bit++) {
    const uint8_t m = static_cast<uint8_t>(0x80u >> (bit % 8));
    if ((a.addr[bit / 8] & m) != (b.addr[bit / 8] & m)) return false;
  }
  return true;
}

template <typename P, typename F>
bool each_inside_some(const std::vector<P>& inner, const std::vector<P>& outer, F inside) {
  return std::all_of(inner.begin(), inner.end(), [&](const P& b) {
    return std::any_of(outer.begin(), outer.end(), [&](const P& a) { return inside(a, b); });
  });
}

// One address side: no prefixes matches any address; otherwise only the listed prefixes of each IP version.
bool covers_side(const std::vector<Prefix4>& a4, const std::vector<Prefix6>& a6, const std::vector<Prefix4>& b4,
                 const std::vector<Prefix6>& b6) {
  if (a4.empty() && a6.empty()) return true;
  if (b4.empty() && b6.empty()) return false;
  return each_inside_some(b4, a4, covers4) && each_inside_some(b6, a6, covers6);
}

// Whether every packet rule `b` matches is matched by rule `a`.
bool covers(const ClassRule& a, const ClassRule& b) {
  if (a.proto != -1 && a.proto != b.proto) return false;
  if (a.vlan != -1 && a.vlan != b.vlan) return false;
  if (!a.dscp.empty() && (b.dscp.empty() || !std::all_of(b.dscp.begin(), b.dscp.end(), [&](uint8_t d) {
                            return std::find(a.dscp.begin(), a.dscp.end(), d) != a.dscp.end();
                          })))
    return false;
  return covers(a.sport, b.sport) && covers(a.dport, b.dport) && covers_side(a.src4, a.src6, b.src4, b.src6) &&
         covers_side(a.dst4, a.dst6, b.dst4, b.dst6);
}

// The first ClassRule of an earlier policy rule that covers ClassRule `j`, or -1.
int first_cover(const Policy& p, size_t j) {
  const uint16_t number = p.origins.rules[j].number;
  for (size_t i = 0; i < j && p.origins.rules[i].number < number; i++)
    if (covers(p.rules[i], p.rules[j])) return static_cast<int>(i);
  return -1;
}

std::string rule_name(const Policy& p, size_t i) {
  return fmt::format("rule {} (class {})", p.origins.rules[i].number, p.classes[p.rules[i].class_id].name);
}

}  // namespace

std::vector<PolicyError> rule_shadow_warnings(const Policy& p) {
  std::vector<PolicyError> out;
  if (p.origins.rules.size() != p.rules.size()) return out;  // a hand-built policy: no positions
  // Per policy rule (its ClassRules are consecutive) whose every ClassRule an earlier rule covers: which one, when
  // a single earlier rule covers them all.
  struct Shadowed {
    size_t rule;   // its first ClassRule
    size_t cover;  // a ClassRule of the earliest covering rule
    bool single;   // one earlier rule covers every ClassRule of it (else several do between them)
  };
  std::vector<Shadowed> shadowed;
  for (size_t j = 0; j < p.rules.size();) {
    size_t end = j;
    while (end < p.rules.size() && p.origins.rules[end].number == p.origins.rules[j].number) end++;
    int cover = -1;
    bool all = true, single = true;
    for (size_t k = j; k < end && all; k++) {
      const int c = first_cover(p, k);
      all = c >= 0;
      if (c < 0) break;
      if (cover >= 0 && p.origins.rules[c].number != p.origins.rules[cover].number) single = false;
      if (cover < 0 || p.origins.rules[c].number < p.origins.rules[cover].number) cover = c;
    }
    if (all) shadowed.push_back(Shadowed{j, static_cast<size_t>(cover), single});
    j = end;
  }
  // One rule shadowing every later rule (a catch-all placed early): one warning at it, not one per rule.
  const size_t n_rules = p.origins.rules.empty() ? 0 : p.origins.rules.back().number;
  for (size_t i = 0; i < p.rules.size() && !shadowed.empty(); i++) {
    const uint16_t number = p.origins.rules[i].number;
    const size_t later = n_rules - number;
    if (later < 2 || (i > 0 && p.origins.rules[i - 1].number == number)) continue;
    size_t by_it = 0;
    for (const Shadowed& s : shadowed) by_it += s.single && p.origins.rules[s.cover].number == number;
    if (by_it != later) continue;
    out.push_back(PolicyError{p.origins.rules[i].loc,
                              fmt::format("{} matches every packet the {} rules after it match, so none of them can "
                                          "ever match (first match wins); move it after them",
                                          rule_name(p, i), later),
                              Severity::warning});
    return out;
  }
  for (const Shadowed& s : shadowed) {
    const bool same_class = s.single && p.rules[s.rule].class_id == p.rules[s.cover].class_id;
    const std::string by = s.single ? fmt::format("{} before it matches", rule_name(p, s.cover))
                                    : std::string("the rules before it match, between them,");
    out.push_back(PolicyError{
        p.origins.rules[s.rule].loc,
        fmt::format("{} can never match: {} every packet it does (first match wins){}", rule_name(p, s.rule), by,
                    same_class ? "; it is redundant"
                    : s.single ? "; move it above that rule or narrow that rule"
                               : "; move it above them or narrow them"),
        Severity::warning});
  }
  return out;
}

}  // namespace wansteer
