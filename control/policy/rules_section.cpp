// The rules section: each rule names a class and match keys (the table in rule_match_keys.cpp); first match wins.
// A rule with lists of port ranges becomes consecutive ClassRules of the same class.
#include <fmt/format.h>

#include "control/policy/did_you_mean.hpp"
#include "control/policy/rule_match_keys.hpp"

namespace wansteer::policy_reader {

namespace {

// The valid keys of a rule, in the order messages list them: class, then the match keys.
const std::vector<std::string>& rule_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k{"class"};
    for (auto& n : match_key_names()) k.push_back(n);
    return k;
  }();
  return keys;
}

// class: must name a class; the rule's messages name it from here on.
bool read_rule_class(RuleDraft& r, const Fields& m, size_t index) {
  const Field* cf = m.get("class");
  if (!cf) return require_key(r.ctx.diag, m, "class", r.what);
  auto n = read_text(r.ctx.diag, item(*cf), r.what + " class");
  if (!n) return false;
  r.what = fmt::format("rule {} (class {})", index + 1, *n);
  int idx = r.ctx.policy.class_index(*n);
  if (idx >= 0) {
    r.base.class_id = static_cast<uint8_t>(idx);
    return true;
  }
  if (r.ctx.classes_ok) {
    std::vector<std::string> names;
    for (const auto& c : r.ctx.policy.classes) names.push_back(c.name);
    r.ctx.diag.error(at(*cf), fmt::format("{}: unknown class \"{}\"{}; classes are {}", r.what, *n, suggest(*n, names),
                                          join(names)));
  }
  return false;
}

// Ports exist only for tcp and udp (and a rule without protocol matches both).
bool check_ports_protocol(RuleDraft& r, const Fields& m) {
  if (!(m.get("src_ports") || m.get("dst_ports")) || r.base.proto == -1 || r.base.proto == 6 || r.base.proto == 17)
    return true;
  const Field* pf = m.get("protocol");
  r.ctx.diag.error(at(*pf), fmt::format("{}: ports only exist for tcp and udp, but protocol is {}; drop the "
                                        "protocol to match both tcp and udp",
                                        r.what, pf->value.Scalar()));
  return false;
}

// A rule whose keys all read well can still never match: prefixes of two IP versions, or icmp for the wrong one.
bool check_can_match(RuleDraft& r, const Fields& m) {
  if (!r.base.matches_v4() && !r.base.matches_v6()) {
    r.ctx.diag.error(m.mark, fmt::format("{} can never match: its source prefixes and destination prefixes are of "
                                         "different IP versions",
                                         r.what));
    return false;
  }
  if (r.base.proto == 1 && !r.base.matches_v4()) {
    r.ctx.diag.error(at(*m.get("protocol")), fmt::format("{}: protocol icmp is IPv4-only but the rule's addresses are "
                                                         "IPv6; use icmpv6",
                                                         r.what));
    return false;
  }
  if (r.base.proto == 58 && !r.base.matches_v6()) {
    r.ctx.diag.error(at(*m.get("protocol")), fmt::format("{}: protocol icmpv6 is IPv6-only but the rule's addresses "
                                                         "are IPv4; use icmp",
                                                         r.what));
    return false;
  }
  return true;
}

void read_rule(RuleContext& ctx, const Item& it, size_t index, std::vector<ClassRule>& rules) {
  RuleDraft r{ctx, fmt::format("rule {}", index + 1), {}, {}, {}};
  auto m = read_map(ctx.diag, it, r.what, rule_keys());
  if (!m) return;
  bool ok = read_rule_class(r, *m, index);
  if (m->items.size() == (m->get("class") ? 1u : 0u)) {
    ctx.diag.error(m->mark,
                   fmt::format("{} has no match keys: add at least one of {}", r.what, join(match_key_names())));
    return;
  }
  for (const MatchKey& key : match_keys())
    if (const Field* f = m->get(key.name)) ok &= key.read(r, *f);
  ok &= check_ports_protocol(r, *m);
  if (!ok || !check_can_match(r, *m)) return;

  // ClassRule holds one port range per side: a list of ranges becomes consecutive rules of the same class,
  // which keeps first-match order (they are alternatives of one policy rule).
  if (r.sports.empty()) r.sports.push_back(PortRange{});
  if (r.dports.empty()) r.dports.push_back(PortRange{});
  for (const auto& sp : r.sports)
    for (const auto& dp : r.dports) {
      ClassRule rule = r.base;
      rule.sport = sp;
      rule.dport = dp;
      rules.push_back(std::move(rule));
      ctx.origins.push_back(PolicyOrigins::Rule{ctx.diag.loc(it.mark), static_cast<uint16_t>(index + 1)});
    }
}

}  // namespace

void read_rules(RuleContext& ctx, const Field& f, std::vector<ClassRule>& rules) {
  if (f.value.IsNull()) return;  // "rules:" with every rule commented out: everything is class default
  auto items = read_list(ctx.diag, item(f), "rules", false, true);
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) read_rule(ctx, (*items)[i], i, rules);
}

}  // namespace wansteer::policy_reader
