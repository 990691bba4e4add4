// The lan section: the LAN port's device, its subnets (optionally per VLAN) and static neighbours.
#include <fmt/format.h>

#include "control/policy/ipv4_subnets.hpp"
#include "control/policy/sections.hpp"
#include "control/policy/value_parsers.hpp"
#include "control/policy/value_readers.hpp"

namespace wansteer::policy_reader {

namespace {

// One subnet {address, vlan}; false when it has a problem. Kept in `lan` whenever its address parsed.
bool read_subnet(Diagnostics& diag, const Item& it, const std::string& what, LanSpec& lan) {
  auto sm = read_map(diag, it, what, {"address", "vlan", "routed"});
  if (!sm) return false;
  LanSubnetSpec spec;
  bool sub_ok = require_key(diag, *sm, "address", what);
  if (const Field* a = sm->get("address")) {
    if (auto c = read_iface_address(diag, item(*a), what + " address")) {
      spec.address = *c;
      for (const auto& earlier : lan.subnets) {
        const auto& other = earlier.address;
        if (other.len && overlaps(other, *c)) {
          diag.error(at(*a),
                     fmt::format("{}: {} overlaps an earlier lan subnet ({})", what, cidr_str(*c), cidr_str(other)));
          sub_ok = false;
        }
      }
    } else {
      sub_ok = false;
    }
  }
  if (const Field* v = sm->get("vlan")) {
    if (auto n = read_integer(diag, item(*v), what + " vlan", 0, 4094))
      spec.vlan = static_cast<uint16_t>(*n);
    else
      sub_ok = false;
  }
  if (const Field* r = sm->get("routed")) {
    if (auto b = read_boolean(diag, item(*r), what + " routed"))
      spec.routed = *b;
    else
      sub_ok = false;
  }
  // Failed subnets are kept only when their address parsed, so later checks don't compare against 0.0.0.0/0.
  if (spec.address.len) lan.subnets.push_back(spec);
  return sub_ok;
}

bool read_subnets(Diagnostics& diag, const Field& sf, LanSpec& lan) {
  auto items = read_list(diag, item(sf), "lan subnets", false, false);
  if (!items) return false;
  bool ok = true;
  if (items->size() > kMaxLanSubnets) {
    diag.error(at(sf), fmt::format("lan has {} subnets; at most {} are supported", items->size(), kMaxLanSubnets));
    ok = false;
  }
  for (size_t i = 0; i < items->size(); ++i)
    ok &= read_subnet(diag, (*items)[i], fmt::format("lan subnet {}", i + 1), lan);
  return ok;
}

// A neighbour's address must be a host inside a LAN subnet, not the edge itself, and listed once.
bool check_neighbor_ip(Diagnostics& diag, const Field& ipf, uint32_t ip, const std::string& what, const LanSpec& lan) {
  bool ok = true, in_lan = false, is_edge = false;
  for (const auto& s : lan.subnets) {
    in_lan |= inside(ip, s.address);
    is_edge |= s.address.addr == ip;
  }
  if (is_edge) {
    diag.error(at(ipf), fmt::format("{}: {} is the edge's own LAN address", what, ipv4_str(ip)));
    ok = false;
  } else if (!in_lan && !lan.subnets.empty()) {
    diag.error(at(ipf), fmt::format("{}: {} is not inside any lan subnet", what, ipv4_str(ip)));
    ok = false;
  }
  for (const auto& other : lan.neighbors)
    if (other.ip == ip) {
      diag.error(at(ipf), fmt::format("{}: {} is listed twice", what, ipv4_str(ip)));
      ok = false;
    }
  return ok;
}

void read_neighbor(Diagnostics& diag, const Item& it, const std::string& what, LanSpec& lan) {
  auto nm = read_map(diag, it, what, {"ip", "mac"});
  if (!nm) return;
  require_key(diag, *nm, "ip", what);
  require_key(diag, *nm, "mac", what);
  StaticNeighbor n;
  bool n_ok = true;
  if (const Field* ipf = nm->get("ip")) {
    if (auto ip = read_ip4(diag, item(*ipf), what + " ip")) {
      n.ip = *ip;
      n_ok = check_neighbor_ip(diag, *ipf, *ip, what, lan);
    } else {
      n_ok = false;
    }
  }
  if (const Field* mf = nm->get("mac")) {
    if (auto mm = read_mac(diag, item(*mf), what + " mac"))
      n.mac = *mm;
    else
      n_ok = false;
  }
  if (n_ok) lan.neighbors.push_back(n);
}

}  // namespace

bool read_lan(Diagnostics& diag, const Field& f, LanSpec& lan) {
  auto m = read_map(diag, item(f), "lan", {"device", "subnets", "neighbors"});
  if (!m) return false;
  bool ok = true;
  ok &= require_key(diag, *m, "device", "lan");
  if (const Field* d = m->get("device")) {
    if (auto s = read_text(diag, item(*d), "lan device")) {
      if (s->empty())
        diag.error(at(*d), "lan device is empty: give a DPDK vdev string or PCI address");
      else if (const std::string why = device_problem(*s, 0); !why.empty())
        diag.error(at(*d), "lan " + why);
      lan.device = *s;
    }
  }
  ok &= require_key(diag, *m, "subnets", "lan");
  if (const Field* sf = m->get("subnets")) ok &= read_subnets(diag, *sf, lan);
  if (const Field* nf = m->get("neighbors"); nf && !nf->value.IsNull()) {
    if (auto items = read_list(diag, item(*nf), "lan neighbors", false, true))
      for (size_t i = 0; i < items->size(); ++i)
        read_neighbor(diag, (*items)[i], fmt::format("lan neighbor {}", i + 1), lan);
  }
  return ok;
}

}  // namespace wansteer::policy_reader
