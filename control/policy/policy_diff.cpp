// diff_policies: the running policy against a new one, key by key, each change live or start-only.
#include "control/policy/policy_diff.hpp"

#include <fmt/format.h>

#include "control/common/addr_format.hpp"

namespace wansteer {

namespace {

// Rates as an operator writes them: 10mbit, 1.5gbit, 64000bit.
std::string rate_str(uint64_t bps) {
  if (bps == 0) return "none";
  if (bps % 1000000000 == 0) return fmt::format("{}gbit", bps / 1000000000);
  if (bps >= 1000000 && bps % 100000 == 0) return fmt::format("{}mbit", static_cast<double>(bps) / 1e6);
  if (bps % 1000 == 0) return fmt::format("{}kbit", bps / 1000);
  return fmt::format("{}bit", bps);
}

std::string cidr_str(const Ipv4Cidr& c) { return fmt::format("{}/{}", ipv4_str(c.addr), c.len); }
std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string subnets_str(const std::vector<LanSubnetSpec>& subs) {
  std::string s;
  for (const auto& sub : subs)
    s += (s.empty() ? "" : ", ") + cidr_str(sub.address) + (sub.vlan ? fmt::format(" vlan {}", sub.vlan) : "") +
         (sub.routed ? " routed" : "");
  return s;
}

std::string forwards_str(const std::vector<ForwardSpec>& fs) {
  std::string s;
  for (const auto& f : fs) {
    s += fmt::format("{}{} {}-{} to {}:{}", s.empty() ? "" : ", ", f.proto == 6 ? "tcp" : "udp", f.port.lo, f.port.hi,
                     ipv4_str(f.to_ip), f.to_port);
    for (const auto& p : f.from) s += fmt::format(" from {}/{}", ipv4_str(p.addr), p.len);
  }
  return s.empty() ? "none" : s;
}

std::string neighbors_str(const std::vector<StaticNeighbor>& ns) {
  std::string s;
  for (const auto& n : ns)
    s += fmt::format("{}{} {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", s.empty() ? "" : ", ", ipv4_str(n.ip), n.mac[0],
                     n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5]);
  return s.empty() ? "none" : s;
}

std::string link_names(const Policy& p, const std::vector<uint8_t>& idx) {
  std::string s;
  for (uint8_t l : idx) s += (s.empty() ? "" : ", ") + (l < p.links.size() ? p.links[l].name : "?");
  return s;
}

std::string class_names(const Policy& p, const std::vector<uint8_t>& idx) {
  std::string s;
  for (uint8_t c : idx) s += (s.empty() ? "" : ", ") + (c < p.classes.size() ? p.classes[c].name : "?");
  return s;
}

std::string all_link_names(const Policy& p) {
  std::string s;
  for (const auto& l : p.links) s += (s.empty() ? "" : ", ") + l.name;
  return s;
}

std::string limit_str(const std::optional<RateLimitSpec>& l) {
  if (!l) return "none";
  std::string s = rate_str(l->rate_bps);
  if (l->peak_rate_bps) s += " peak " + rate_str(l->peak_rate_bps);
  if (l->burst_bytes) s += fmt::format(" burst {}B", l->burst_bytes);
  if (l->remark) s += fmt::format(" remark dscp {}", l->remark_dscp);
  return s;
}

std::string budget_str(const std::optional<BudgetSpec>& b) {
  if (!b) return "none";
  static constexpr const char* kPeriod[] = {"daily", "weekly", "monthly"};
  std::string s = fmt::format("{}B {}", b->bytes, kPeriod[static_cast<int>(b->period)]);
  if (b->period != BudgetPeriod::daily) s += fmt::format(" reset_day {}", b->reset_day);
  return s;
}

std::string on_budget_str(const ClassLimitSpec& c) {
  switch (c.on_budget) {
    case BudgetAction::block:
      return "block";
    case BudgetAction::allow:
      return "allow";
    case BudgetAction::limit:
      break;
  }
  return "limit " + limit_str(c.budget_limit);
}

std::string on_backup_str(const ClassLimitSpec& c) {
  switch (c.on_backup) {
    case BackupMode::same:
      return "same";
    case BackupMode::limit:
      return "limit " + limit_str(c.backup_limit);
    case BackupMode::block:
      return "block";
    case BackupMode::unlimited:
      return "unlimited";
  }
  return "?";
}

std::string sla_str(const SlaSpec& s) {
  return fmt::format("{} ({}% loss, {} ms rtt, {} ms jitter)", s.preset, s.max_loss_pct, s.max_rtt_ms, s.max_jitter_ms);
}

std::string probe_str(const LinkSpec& l) {
  const ProbeSpec& p = l.probe;
  std::string t;
  for (const auto& x : p.targets)
    t += (t.empty() ? "" : ",") + std::string(x.kind == ProbeKind::stamp ? "stamp:" : "icmp:") + ipv4_str(x.address) +
         (x.kind == ProbeKind::stamp ? fmt::format(":{}", x.port) : "");
  return fmt::format(
      "{} every {} ms (idle {}), x{}, window {}, timeout {} ms, hold {} ms, passive {} ms, min {}, boost {} ms, "
      "traffic {} ms{}{}",
      p.enabled ? "on" : "off", p.interval_ms, p.idle_interval_ms, p.detect_multiplier, p.loss_window,
      p.reply_timeout_ms, p.hold_down_ms, p.passive_timeout_ms, p.min_samples, p.boost_interval_ms,
      p.traffic_interval_ms, t.empty() ? "" : ", targets " + t, p.stamp_auth_key_file.empty() ? "" : ", authenticated");
}

bool same_rule(const ClassRule& a, const ClassRule& b, const Policy& pa, const Policy& pb) {
  auto p4 = [](const std::vector<Prefix4>& x, const std::vector<Prefix4>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); i++)
      if (x[i].addr != y[i].addr || x[i].len != y[i].len) return false;
    return true;
  };
  auto p6 = [](const std::vector<Prefix6>& x, const std::vector<Prefix6>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); i++)
      if (x[i].addr != y[i].addr || x[i].len != y[i].len) return false;
    return true;
  };
  return pa.classes[a.class_id].name == pb.classes[b.class_id].name && a.proto == b.proto && a.dscp == b.dscp &&
         a.sport.lo == b.sport.lo && a.sport.hi == b.sport.hi && a.dport.lo == b.dport.lo && a.dport.hi == b.dport.hi &&
         p4(a.src4, b.src4) && p4(a.dst4, b.dst4) && p6(a.src6, b.src6) && p6(a.dst6, b.dst6) && a.vlan == b.vlan;
}

class Differ {
 public:
  Differ(const Policy& a, const Policy& b) : a_(a), b_(b) {}

  void add(std::string key, const std::string& o, const std::string& n, bool live = true) {
    if (o != n) out_.push_back({std::move(key), o, n, live});
  }

  std::vector<PolicyChange> run() {
    add("name", a_.name, b_.name);
    add("lan.device", a_.lan.device, b_.lan.device, false);
    add("lan.subnets", subnets_str(a_.lan.subnets), subnets_str(b_.lan.subnets));
    add("lan.neighbors", neighbors_str(a_.lan.neighbors), neighbors_str(b_.lan.neighbors));
    links();
    classes();
    rules();
    add("shaper.priority", class_names(a_, a_.shaper.priority), class_names(b_, b_.shaper.priority));
    add("shaper.delay_drop", class_names(a_, a_.shaper.delay_drop), class_names(b_, b_.shaper.delay_drop));
    add("shaper.delay_target_ms", ms(a_.shaper.delay_target_ms), ms(b_.shaper.delay_target_ms));
    add("shaper.delay_interval_ms", ms(a_.shaper.delay_interval_ms), ms(b_.shaper.delay_interval_ms));
    add("shaper.queue_ms", ms(a_.shaper.queue_ms), ms(b_.shaper.queue_ms));
    add("shaper.queue_bytes", std::to_string(a_.shaper.queue_bytes), std::to_string(b_.shaper.queue_bytes));
    tables();
    add("metrics.listen", a_.metrics.listen.value_or("(default)"), b_.metrics.listen.value_or("(default)"), false);
    return std::move(out_);
  }

 private:
  static std::string ms(uint32_t v) { return std::to_string(v); }
  static std::string s(uint32_t v) { return std::to_string(v); }

  void links() {
    const std::string an = all_link_names(a_), bn = all_link_names(b_);
    if (an != bn) {  // count, order or names: the ports are bound in this order at start
      add("links", an, bn, false);
      return;
    }
    for (size_t l = 0; l < a_.links.size(); l++) link(a_.links[l], b_.links[l]);
  }

  void link(const LinkSpec& x, const LinkSpec& y) {
    const std::string k = "links." + x.name + ".";
    add(k + "device", x.device, y.device, false);
    add(k + "address", x.dhcp ? "dhcp" : cidr_str(x.address), y.dhcp ? "dhcp" : cidr_str(y.address), x.dhcp == y.dhcp);
    if (!x.dhcp && !y.dhcp) add(k + "gateway", ipv4_str(x.gateway), ipv4_str(y.gateway));
    add(k + "role", x.role == LinkRole::primary ? "primary" : "backup",
        y.role == LinkRole::primary ? "primary" : "backup");
    add(k + "weight", std::to_string(x.weight), std::to_string(y.weight));
    add(k + "metered", yes_no(x.metered), yes_no(y.metered), false);        // it sets the probe rate: start-only too
    add(k + "metered.budget", budget_str(x.budget), budget_str(y.budget));  // counted by control: live
    add(k + "probe", probe_str(x), probe_str(y), false);
    if (x.probe.stamp_auth_key != y.probe.stamp_auth_key && x.probe.stamp_auth_key_file == y.probe.stamp_auth_key_file)
      add(k + "probe.auth_key", "(old key)", "(new key)", false);
    add(k + "capacity.up", rate_str(x.capacity_up_bps), rate_str(y.capacity_up_bps));
    add(k + "capacity.down", rate_str(x.capacity_down_bps), rate_str(y.capacity_down_bps));
    add(k + "shaping", yes_no(x.shaping), yes_no(y.shaping));
    add(k + "nat", yes_no(x.nat), yes_no(y.nat));
    add(k + "firewall", yes_no(x.firewall), yes_no(y.firewall));
    add(k + "forwards", forwards_str(x.forwards), forwards_str(y.forwards));
    add(k + "mtu", std::to_string(x.mtu), std::to_string(y.mtu));
    add(k + "fragment", yes_no(x.fragment), yes_no(y.fragment));
    add(k + "mss_clamp", yes_no(x.mss_clamp), yes_no(y.mss_clamp));
    auto mac = [](const std::optional<MacAddress>& m) {
      return m ? fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (*m)[0], (*m)[1], (*m)[2], (*m)[3], (*m)[4],
                             (*m)[5])
               : std::string("resolved");
    };
    add(k + "gateway_mac", mac(x.gateway_mac), mac(y.gateway_mac));
  }

  void classes() {
    for (const auto& c : a_.classes)
      if (b_.class_index(c.name) < 0) add("classes." + c.name, "present", "removed");
    for (size_t i = 0; i < b_.classes.size(); i++) {
      const int j = a_.class_index(b_.classes[i].name);
      if (j < 0) {
        out_.push_back({"classes." + b_.classes[i].name, "", "added", true});
        continue;
      }
      klass(static_cast<size_t>(j), i);
    }
    for (auto& c : out_)
      if (c.new_value == "removed") c.new_value.clear();
  }

  void klass(size_t ia, size_t ib) {
    const ClassSpec &x = a_.classes[ia], &y = b_.classes[ib];
    const std::string k = "classes." + x.name + ".";
    static constexpr const char* kModes[] = {"priority", "balance", "best"};
    add(k + "mode", kModes[static_cast<int>(x.mode)], kModes[static_cast<int>(y.mode)]);
    add(k + "links", link_names(a_, x.links), link_names(b_, y.links));
    add(k + "sla", sla_str(x.sla), sla_str(y.sla));
    add(k + "on_sla_breach", x.on_sla_breach == OnBreach::move ? "move" : "stay",
        y.on_sla_breach == OnBreach::move ? "move" : "stay");
    static constexpr const char* kRecovery[] = {"automatic", "back", "stay"};
    add(k + "on_recovery", kRecovery[static_cast<int>(x.on_recovery)], kRecovery[static_cast<int>(y.on_recovery)]);
    add(k + "stick_by", x.stick_by == StickBy::flow ? "flow" : "host_pair",
        y.stick_by == StickBy::flow ? "flow" : "host_pair");
    const ClassLimitSpec none;
    const ClassLimitSpec& lx = ia < a_.class_limits.size() ? a_.class_limits[ia] : none;
    const ClassLimitSpec& ly = ib < b_.class_limits.size() ? b_.class_limits[ib] : none;
    add(k + "limit", limit_str(lx.limit), limit_str(ly.limit));
    add(k + "on_backup", on_backup_str(lx), on_backup_str(ly));
    add(k + "on_budget_exhausted", on_budget_str(lx), on_budget_str(ly));
  }

  void rules() {
    if (a_.rules.size() != b_.rules.size()) {
      add("rules", std::to_string(a_.rules.size()), std::to_string(b_.rules.size()));
      return;
    }
    size_t changed = 0;
    for (size_t r = 0; r < a_.rules.size(); r++) changed += same_rule(a_.rules[r], b_.rules[r], a_, b_) ? 0 : 1;
    if (changed)
      out_.push_back(
          {"rules", fmt::format("{} rules", a_.rules.size()), fmt::format("{} of them changed", changed), true});
  }

  void tables() {
    add("flow_cache.size", std::to_string(a_.flow_cache.size), std::to_string(b_.flow_cache.size), false);
    add("flow_cache.idle_timeout_s", s(a_.flow_cache.idle_timeout_s), s(b_.flow_cache.idle_timeout_s));
    const NatSpec &x = a_.nat, &y = b_.nat;
    add("nat.sessions", std::to_string(x.sessions), std::to_string(y.sessions), false);
    add("nat.per_host", std::to_string(x.per_host), std::to_string(y.per_host));
    add("nat.udp_timeout_s", s(x.udp_timeout_s), s(y.udp_timeout_s));
    add("nat.tcp_established_timeout_s", s(x.tcp_established_timeout_s), s(y.tcp_established_timeout_s));
    add("nat.tcp_transitory_timeout_s", s(x.tcp_transitory_timeout_s), s(y.tcp_transitory_timeout_s));
    add("nat.icmp_timeout_s", s(x.icmp_timeout_s), s(y.icmp_timeout_s));
  }

  const Policy &a_, &b_;
  std::vector<PolicyChange> out_;
};

}  // namespace

std::string PolicyChange::text() const {
  if (old_value.empty()) return key + ": " + new_value;
  if (new_value.empty()) return key + ": removed";
  return key + ": " + old_value + " -> " + new_value;
}

std::vector<PolicyChange> diff_policies(const Policy& running, const Policy& next) {
  return Differ(running, next).run();
}

bool changes_ports(const std::vector<PolicyChange>& changes) {
  for (const auto& c : changes)
    if (!c.live && (c.key == "lan.device" || c.key == "links" ||
                    (c.key.rfind("links.", 0) == 0 && (c.key.ends_with(".device") || c.key.ends_with(".address")))))
      return true;
  return false;
}

const std::vector<std::string>& start_only_keys() {
  static const std::vector<std::string> keys = {
      "lan.device",       "links (count, order, names)", "links.NAME.device", "links.NAME.address (dhcp or not)",
      "links.NAME.probe", "links.NAME.metered",          "flow_cache.size",   "nat.sessions",
      "metrics.listen"};
  return keys;
}

}  // namespace wansteer
