// The links section: the WAN links (device, address, gateway, role, weight, metering, probing, capacity, shaping).
#include <fmt/format.h>

#include "control/policy/ipv4_subnets.hpp"
#include "control/policy/sections.hpp"
#include "control/policy/value_parsers.hpp"
#include "control/policy/value_readers.hpp"

namespace wansteer::policy_reader {

namespace {

constexpr size_t kMinLinks = 2;
constexpr uint64_t kMinLinkMtu = 576, kMaxLinkMtu = 9000;  // RFC 791's minimum datagram; jumbo frames

// The device must be new: not the LAN's, not an earlier link's.
void read_device(Diagnostics& diag, const Field& d, const std::string& what, const std::string& lan_device,
                 const std::vector<LinkSpec>& earlier, LinkSpec& spec) {
  auto s = read_text(diag, item(d), what + " device");
  if (!s) return;
  if (s->empty()) {
    diag.error(at(d), fmt::format("{}: device is empty", what));
  } else if (const std::string why = device_problem(*s, static_cast<unsigned>(earlier.size() + 1)); !why.empty()) {
    diag.error(at(d), fmt::format("{}: {}", what, why));
  } else if (*s == lan_device) {
    diag.error(at(d), fmt::format("{}: device \"{}\" is the LAN device", what, *s));
  } else {
    for (const auto& other : earlier)
      if (other.device == *s)
        diag.error(at(d), fmt::format("{}: device \"{}\" is already used by link \"{}\"", what, *s, other.name));
  }
  spec.device = *s;
}

// The gateway must be a host of the link's subnet other than the edge itself.
void read_gateway(Diagnostics& diag, const Field& g, const std::string& what, const std::optional<Ipv4Cidr>& addr,
                  LinkSpec& spec) {
  auto gw = read_ip4(diag, item(g), what + " gateway");
  if (!gw) return;
  spec.gateway = *gw;
  if (!addr) return;
  if (!inside(*gw, *addr))
    diag.error(at(g), fmt::format("{}: gateway {} is not inside {} (the link's subnet is {})", what, ipv4_str(*gw),
                                  cidr_str(*addr), net_str(*addr)));
  else if (*gw == addr->addr)
    diag.error(at(g), fmt::format("{}: gateway {} is the edge's own address", what, ipv4_str(*gw)));
  else if (addr->len <= 30 && (*gw == addr->network() || *gw == (addr->network() | ~addr->mask())))
    diag.error(at(g), fmt::format("{}: gateway {} is the network or broadcast address of {}", what, ipv4_str(*gw),
                                  net_str(*addr)));
}

// `address: dhcp`: address, prefix and gateway come from the lease, so the policy must not name a gateway (or its
// MAC: the gateway is ARPed for once the lease names it).
void read_dhcp_address(Diagnostics& diag, const Fields& m, const std::string& what) {
  if (const Field* g = m.get("gateway"))
    diag.error(at(*g), fmt::format("{}: with address: dhcp the gateway comes from the lease (option 3); remove "
                                   "gateway",
                                   what));
  if (const Field* gm = m.get("gateway_mac"))
    diag.error(at(*gm), fmt::format("{}: with address: dhcp the gateway is learned by ARP; remove gateway_mac", what));
}

void read_capacity(Diagnostics& diag, const Field& f, const std::string& what, LinkSpec& spec) {
  auto m = read_map(diag, item(f), what + " capacity", {"up", "down"});
  if (!m) return;
  spec.capacity_loc = diag.loc(f.key.Mark());
  if (m->items.empty()) diag.error(at(f), fmt::format("{}: capacity needs up and/or down", what));
  if (const Field* u = m->get("up"))
    if (auto v = read_rate(diag, item(*u), what + " capacity up")) spec.capacity_up_bps = *v;
  if (const Field* d = m->get("down"))
    if (auto v = read_rate(diag, item(*d), what + " capacity down")) spec.capacity_down_bps = *v;
}

// role, weight, nat, firewall, mtu, fragment, mss_clamp, metered, probe, capacity and shaping: the keys with defaults.
void read_link_options(Diagnostics& diag, const Fields& m, const std::string& what, const std::string& base_dir,
                       LinkSpec& spec) {
  if (const Field* r = m.get("role")) {
    if (auto s = read_text(diag, item(*r), what + " role")) {
      if (*s == "primary")
        spec.role = LinkRole::primary;
      else if (*s == "backup")
        spec.role = LinkRole::backup;
      else
        diag.error(at(*r), fmt::format("{}: role \"{}\" must be primary or backup", what, *s));
    }
  }
  if (const Field* w = m.get("weight"))
    if (auto v = read_integer(diag, item(*w), what + " weight", 1, 1000)) spec.weight = static_cast<uint32_t>(*v);
  if (const Field* na = m.get("nat"))
    if (auto b = read_boolean(diag, item(*na), what + " nat")) spec.nat = *b;
  if (const Field* fi = m.get("firewall")) {
    if (auto b = read_boolean(diag, item(*fi), what + " firewall")) spec.firewall = *b;
    if (spec.nat && !spec.firewall)
      diag.error(at(*fi), fmt::format("{} firewall: false needs nat: false (a NAT link lets in only replies and "
                                      "forwards, always)",
                                      what));
  }
  if (const Field* mt = m.get("mtu"))
    if (auto v = read_integer(diag, item(*mt), what + " mtu", kMinLinkMtu, kMaxLinkMtu))
      spec.mtu = static_cast<uint16_t>(*v);
  if (const Field* fr = m.get("fragment"))
    if (auto b = read_boolean(diag, item(*fr), what + " fragment")) spec.fragment = *b;
  if (const Field* mc = m.get("mss_clamp"))
    if (auto b = read_boolean(diag, item(*mc), what + " mss_clamp")) spec.mss_clamp = *b;
  if (const Field* me = m.get("metered")) read_metered(diag, *me, what, spec);
  if (const Field* pr = m.get("probe")) read_probe(diag, item(*pr), what + " probe", base_dir, spec.probe);
  if (const Field* c = m.get("capacity")) read_capacity(diag, *c, what, spec);
  if (const Field* sh = m.get("shaping")) {
    if (auto v = read_boolean(diag, item(*sh), what + " shaping")) {
      spec.shaping = *v;
      if (*v && spec.capacity_up_bps == 0 && !m.get("capacity"))
        diag.error(at(*sh), fmt::format("{}: shaping: true needs capacity: {{up: RATE}} (the rate to shape to)", what));
    }
  }
}

void read_link_fields(Diagnostics& diag, const Fields& m, std::string what, const std::string& lan_device,
                      const std::string& base_dir, const std::vector<LinkSpec>& earlier, LinkSpec& spec) {
  if (const Field* nf = m.get("name")) {
    if (auto n = read_name(diag, item(*nf), what + " name")) {
      for (const auto& other : earlier)
        if (other.name == *n) {
          diag.error(at(*nf), fmt::format("link name \"{}\" is used twice", *n));
          break;
        }
      what = fmt::format("link \"{}\"", *n);
    }
    // Keep even an invalid name so classes naming it don't produce a second, misleading error.
    if (nf->value.IsScalar()) spec.name = nf->value.Scalar();
  } else {
    require_key(diag, m, "name", what);
  }
  require_key(diag, m, "device", what);
  if (const Field* d = m.get("device")) read_device(diag, *d, what, lan_device, earlier, spec);
  require_key(diag, m, "address", what);
  const Field* af = m.get("address");
  spec.dhcp = af && af->value.IsScalar() && af->value.Scalar() == "dhcp";
  if (spec.dhcp) {
    read_dhcp_address(diag, m, what);
  } else {
    std::optional<Ipv4Cidr> addr;
    if (af) addr = read_iface_address(diag, item(*af), what + " address");
    if (addr) spec.address = *addr;
    require_key(diag, m, "gateway", what);
    if (const Field* g = m.get("gateway")) read_gateway(diag, *g, what, addr, spec);
  }
  if (const Field* gm = m.get("gateway_mac"))
    if (auto mm = read_mac(diag, item(*gm), what + " gateway_mac")) spec.gateway_mac = *mm;
  read_link_options(diag, m, what, base_dir, spec);
  if (const Field* fw = m.get("forwards")) read_forwards(diag, *fw, what, !spec.nat, spec.forwards);
}

}  // namespace

bool read_links(Diagnostics& diag, const Field& f, const ProbeSpec& probing, const std::string& lan_device,
                const std::string& base_dir, std::vector<LinkSpec>& links) {
  auto items = read_list(diag, item(f), "links", false, false);
  if (!items) return false;
  if (items->size() < kMinLinks || items->size() > kMaxLinks)
    diag.error(at(f), fmt::format("links has {} link{}; a policy needs {} to {} WAN links", items->size(),
                                  items->size() == 1 ? "" : "s", kMinLinks, kMaxLinks));
  for (size_t i = 0; i < items->size(); ++i) {
    const Item& it = (*items)[i];
    LinkSpec spec;
    spec.loc = diag.loc(it.mark);
    std::string what = label("link", it.node, i);
    auto m = read_map(diag, it, what,
                      {"name", "device", "address", "gateway", "gateway_mac", "role", "weight", "metered", "probe",
                       "capacity", "shaping", "nat", "firewall", "mtu", "fragment", "mss_clamp", "forwards"});
    spec.probe = probing;
    if (m) read_link_fields(diag, *m, what, lan_device, base_dir, links, spec);
    // Always keep a slot so the list position stays the link index for the links after it.
    links.push_back(std::move(spec));
  }
  return true;
}

}  // namespace wansteer::policy_reader
