// The rule match keys as a table: one row per key, each a small reader filling the rule being built.
#include "control/policy/rule_match_keys.hpp"

#include <fmt/format.h>

#include <set>

#include "control/policy/did_you_mean.hpp"
#include "control/policy/ipv4_subnets.hpp"
#include "control/policy/value_parsers.hpp"
#include "control/policy/value_readers.hpp"

namespace wansteer::policy_reader {

namespace {

// A list (or one value) under `f`, each element read by `each`; false when the list or any element is wrong.
template <typename Each>
bool each_element(RuleDraft& r, const Field& f, Each each) {
  auto items = read_list(r.ctx.diag, item(f), r.what + " " + f.name, true, false);
  if (!items) return false;
  bool ok = true;
  for (const auto& e : *items) ok &= each(e);
  return ok;
}

bool read_dscp(RuleDraft& r, const Field& f) {
  return each_element(r, f, [&](const Item& e) {
    auto v = read_dscp_value(r.ctx.diag, e, r.what + " dscp");
    if (v) r.base.dscp.push_back(*v);
    return v.has_value();
  });
}

bool read_protocol(RuleDraft& r, const Field& f) {
  auto s = read_text(r.ctx.diag, item(f), r.what + " protocol");
  if (!s) return false;
  auto proto = parse_protocol(*s);
  if (!proto) {
    r.ctx.diag.error(at(f),
                     fmt::format("{}: protocol \"{}\" must be tcp, udp, icmp, icmpv6 or a number 0..255", r.what, *s));
    return false;
  }
  r.base.proto = *proto;
  return true;
}

bool read_ports(RuleDraft& r, const Field& f, std::vector<PortRange>& out) {
  return each_element(r, f, [&](const Item& e) {
    auto range = read_port_range(r.ctx.diag, e, r.what + " " + f.name);
    if (range) out.push_back(*range);
    return range.has_value();
  });
}
bool read_src_ports(RuleDraft& r, const Field& f) { return read_ports(r, f, r.sports); }
bool read_dst_ports(RuleDraft& r, const Field& f) { return read_ports(r, f, r.dports); }

bool read_prefixes(RuleDraft& r, const Field& f, std::vector<Prefix4>& v4, std::vector<Prefix6>& v6) {
  return each_element(r, f, [&](const Item& e) {
    auto s = read_text(r.ctx.diag, e, r.what + " " + f.name);
    if (!s) return false;
    std::string why;
    auto p = parse_prefix(*s, why);
    if (!p) {
      r.ctx.diag.error(e.mark, fmt::format("{}: {}", r.what, why));
      return false;
    }
    if (p->v6)
      v6.push_back(p->p6);
    else
      v4.push_back(p->p4);
    return true;
  });
}
bool read_src(RuleDraft& r, const Field& f) { return read_prefixes(r, f, r.base.src4, r.base.src6); }
bool read_dst(RuleDraft& r, const Field& f) { return read_prefixes(r, f, r.base.dst4, r.base.dst6); }

bool read_lists(RuleDraft& r, const Field& f, std::vector<Prefix4>& v4, std::vector<Prefix6>& v6) {
  return each_element(r, f, [&](const Item& e) {
    const PrefixList* pl = r.ctx.prefix_lists.get(r.ctx.diag, e, r.what + " " + f.name);
    if (!pl || !pl->ok) return false;
    v4.insert(v4.end(), pl->v4.begin(), pl->v4.end());
    v6.insert(v6.end(), pl->v6.begin(), pl->v6.end());
    return true;
  });
}
bool read_src_lists(RuleDraft& r, const Field& f) { return read_lists(r, f, r.base.src4, r.base.src6); }
bool read_dst_lists(RuleDraft& r, const Field& f) { return read_lists(r, f, r.base.dst4, r.base.dst6); }

bool read_vlan(RuleDraft& r, const Field& f) {
  auto v = read_integer(r.ctx.diag, item(f), r.what + " vlan", 0, 4094);
  if (!v) return false;
  r.base.vlan = static_cast<int32_t>(*v);
  std::set<int> lan_vlans;
  for (const auto& s : r.ctx.policy.lan.subnets) lan_vlans.insert(s.vlan);
  // Traffic only arrives on VLANs the LAN is configured for; any other id is a rule that never matches.
  if (r.ctx.lan_ok && !lan_vlans.count(r.base.vlan)) {
    std::vector<std::string> ids;
    ids.reserve(lan_vlans.size());
    for (int id : lan_vlans) ids.push_back(id == 0 ? "0 (untagged)" : std::to_string(id));
    r.ctx.diag.error(at(f),
                     fmt::format("{}: vlan {} is not used by any lan subnet (in use: {})", r.what, *v, join(ids)));
    return false;
  }
  return true;
}

// One of the LAN's own subnets, matched as a source prefix.
bool read_ingress_subnet(RuleDraft& r, const Field& f) {
  auto s = read_text(r.ctx.diag, item(f), r.what + " ingress_subnet");
  if (!s) return false;
  std::string why;
  auto p = parse_prefix(*s, why);
  if (!p) {
    r.ctx.diag.error(at(f), fmt::format("{}: ingress_subnet {}", r.what, why));
    return false;
  }
  if (p->v6) {
    r.ctx.diag.error(at(f), fmt::format("{}: ingress_subnet {} must be one of the IPv4 lan subnets", r.what, *s));
    return false;
  }
  bool found = false, ok = true;
  std::vector<std::string> nets;
  for (const auto& sub : r.ctx.policy.lan.subnets) {
    nets.push_back(net_str(sub.address));
    found |= sub.address.network() == p->p4.addr && sub.address.len == p->p4.len;
  }
  if (!found && r.ctx.lan_ok) {
    r.ctx.diag.error(at(f),
                     fmt::format("{}: ingress_subnet {} is not one of the lan subnets ({})", r.what, *s, join(nets)));
    ok = false;
  }
  r.base.src4.push_back(p->p4);
  return ok;
}

constexpr MatchKey kMatchKeys[]{
    {"dscp", read_dscp},
    {"protocol", read_protocol},
    {"src_ports", read_src_ports},
    {"dst_ports", read_dst_ports},
    {"src", read_src},
    {"dst", read_dst},
    {"src_prefix_lists", read_src_lists},
    {"dst_prefix_lists", read_dst_lists},
    {"vlan", read_vlan},
    {"ingress_subnet", read_ingress_subnet},
};

}  // namespace

std::span<const MatchKey> match_keys() { return kMatchKeys; }

std::vector<std::string> match_key_names() {
  std::vector<std::string> names;
  for (const auto& k : kMatchKeys) names.push_back(k.name);
  return names;
}

}  // namespace wansteer::policy_reader
