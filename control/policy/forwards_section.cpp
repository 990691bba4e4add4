// A link's forwards: port forwards from the link's address to LAN hosts ({proto, port, to, from}), or on a routed
// link (nat: false) the LAN hosts' ports the internet may reach; each checked on its own (protocol, ports, target,
// source prefixes), against the link's other forwards (no overlap), and, once the LAN is read, against the LAN (the
// target must be a host of one of its subnets).
#include <fmt/format.h>

#include "control/policy/ipv4_subnets.hpp"
#include "control/policy/sections.hpp"
#include "control/policy/value_parsers.hpp"
#include "control/policy/value_readers.hpp"
#include "dataplane/port_forwards.hpp"
#include "dataplane/probe_ids.hpp"

namespace wansteer::policy_reader {

namespace {

constexpr uint8_t kTcp = 6, kUdp = 17;

// "192.168.10.20" or "192.168.10.20:3390": the target host and the port the range's first port goes to (the same
// port when none is given). The target range must fit below 65536.
bool read_target(Diagnostics& diag, const Field& f, const std::string& what, ForwardSpec& fw) {
  auto s = read_text(diag, item(f), what + " to");
  if (!s) return false;
  const size_t colon = s->find(':');
  const auto ip = parse_ip4(s->substr(0, colon));
  uint64_t port = fw.port.lo;
  const bool port_ok =
      colon == std::string::npos || (parse_decimal(s->substr(colon + 1), port) && port >= 1 && port <= 65535);
  if (!ip || !port_ok) {
    diag.error(at(f), fmt::format("{} to \"{}\" must be a LAN host's IPv4 address, optionally with a port "
                                  "(192.168.10.20 or 192.168.10.20:3390)",
                                  what, *s));
    return false;
  }
  if (port + (fw.port.hi - fw.port.lo) > 65535) {
    diag.error(at(f), fmt::format("{} to \"{}\": the {} ports of {}-{} would run past port 65535", what, *s,
                                  fw.port.hi - fw.port.lo + 1, fw.port.lo, fw.port.hi));
    return false;
  }
  fw.to_ip = *ip;
  fw.to_port = static_cast<uint16_t>(port);
  return true;
}

// from: IPv4 prefixes (or addresses) the forward accepts connections from.
void read_sources(Diagnostics& diag, const Field& f, const std::string& what, ForwardSpec& fw) {
  auto items = read_list(diag, item(f), what + " from", true, false);
  if (!items) return;
  if (items->size() > kMaxForwardSources)
    diag.error(at(f), fmt::format("{} from has {} prefixes; at most {} are supported", what, items->size(),
                                  kMaxForwardSources));
  for (const Item& e : *items) {
    auto s = read_text(diag, e, what + " from");
    if (!s) continue;
    std::string why;
    auto p = parse_prefix(*s, why);
    if (!p)
      diag.error(e.mark, fmt::format("{} from: {}", what, why));
    else if (p->v6)
      diag.error(e.mark, fmt::format("{} from {} must be IPv4 (forwards are NAT44)", what, *s));
    else
      fw.from.push_back(p->p4);
  }
}

// The ports: 1 to 65535, and for UDP not the edge's own probe ports (their replies go to the prober).
bool read_ports(Diagnostics& diag, const Field& f, const std::string& what, ForwardSpec& fw) {
  auto r = read_port_range(diag, item(f), what + " port");
  if (!r) return false;
  if (r->lo == 0) {
    diag.error(at(f), fmt::format("{} port {}-{} includes port 0", what, r->lo, r->hi));
    return false;
  }
  if (fw.proto == kUdp && r->lo < kProbePortBase + kProbeIdCount && r->hi >= kProbePortBase) {
    diag.error(at(f), fmt::format("{} port {}-{} overlaps UDP {}-{}, the edge's own probe ports", what, r->lo, r->hi,
                                  kProbePortBase, kProbePortBase + kProbeIdCount - 1));
    return false;
  }
  fw.port = *r;
  return true;
}

std::string proto_name(uint8_t proto) { return proto == kTcp ? "tcp" : "udp"; }

// No two forwards of a link may claim the same (protocol, port), nor the same LAN endpoint (a LAN host's port has
// one mapping per link, RFC 4787 endpoint-independent). On a routed link (`routed`: nothing translated) each host
// has its own ports: two hosts may both open port 443.
void check_overlap(Diagnostics& diag, const Field& port_field, const Field& to_field, const std::string& what,
                   const std::vector<ForwardSpec>& earlier, const ForwardSpec& fw, bool routed) {
  const uint32_t n = fw.port.hi - fw.port.lo;
  for (size_t j = 0; j < earlier.size(); j++) {
    const ForwardSpec& o = earlier[j];
    if (o.proto != fw.proto) continue;
    if (o.port.lo <= fw.port.hi && fw.port.lo <= o.port.hi && (!routed || o.to_ip == fw.to_ip)) {
      diag.error(at(port_field), fmt::format("{} port {}-{} overlaps forward {} ({} {}-{}, line {})", what, fw.port.lo,
                                             fw.port.hi, j + 1, proto_name(o.proto), o.port.lo, o.port.hi, o.loc.line));
      return;
    }
    const uint32_t on = o.port.hi - o.port.lo;
    if (o.to_ip == fw.to_ip && o.to_port <= fw.to_port + n && fw.to_port <= o.to_port + on) {
      diag.error(at(to_field), fmt::format("{} to {}:{} reaches the same LAN ports as forward {} (line {})", what,
                                           ipv4_str(fw.to_ip), fw.to_port, j + 1, o.loc.line));
      return;
    }
  }
}

void read_forward(Diagnostics& diag, const Item& it, const std::string& what, bool routed,
                  std::vector<ForwardSpec>& out) {
  auto m = read_map(diag, it, what, {"proto", "port", "to", "from"});
  if (!m) return;
  ForwardSpec fw;
  fw.loc = diag.loc(it.mark);
  // Each missing key is reported, not only the first.
  const bool has_proto = require_key(diag, *m, "proto", what);
  const bool has_port = require_key(diag, *m, "port", what);
  const bool has_to = require_key(diag, *m, "to", what);
  bool ok = has_proto && has_port && has_to;
  if (const Field* p = m->get("proto")) {
    auto s = read_choice(diag, item(*p), what + " proto", {"tcp", "udp"});
    ok = ok && s;
    if (s) fw.proto = *s == "tcp" ? kTcp : kUdp;
  }
  const Field* port = m->get("port");
  ok = ok && port && read_ports(diag, *port, what, fw);
  if (const Field* t = m->get("to")) {
    fw.to_loc = diag.loc(at(*t));
    ok = ok && read_target(diag, *t, what, fw);
  }
  if (const Field* f = m->get("from")) read_sources(diag, *f, what, fw);
  if (!ok) return;
  check_overlap(diag, *port, *m->get("to"), what, out, fw, routed);
  out.push_back(std::move(fw));
}

}  // namespace

void read_forwards(Diagnostics& diag, const Field& f, const std::string& what, bool routed,
                   std::vector<ForwardSpec>& out) {
  auto items = read_list(diag, item(f), what + " forwards", false, true);
  if (!items) return;
  if (items->size() > kMaxForwardsPerLink)
    diag.error(at(f), fmt::format("{} has {} forwards; at most {} per link are supported", what, items->size(),
                                  kMaxForwardsPerLink));
  for (size_t i = 0; i < items->size(); ++i)
    read_forward(diag, (*items)[i], fmt::format("{} forward {}", what, i + 1), routed, out);
}

void check_forwards(Diagnostics& diag, const LanSpec& lan, const std::vector<LinkSpec>& links) {
  for (const LinkSpec& l : links) {
    for (size_t i = 0; i < l.forwards.size(); i++) {
      const ForwardSpec& fw = l.forwards[i];
      YAML::Mark mark;
      mark.line = fw.to_loc.line - 1;
      mark.column = fw.to_loc.column - 1;
      const std::string what = fmt::format("link \"{}\" forward {}", l.name, i + 1);
      if (!l.nat && fw.to_port != fw.port.lo) {
        diag.error(mark, fmt::format("{}: to {}:{} changes the port, but a routed link (nat: false) translates "
                                     "nothing: write to: {} to let port {} of that host in",
                                     what, ipv4_str(fw.to_ip), fw.to_port, ipv4_str(fw.to_ip), fw.port.lo));
        continue;
      }
      const LanSubnetSpec* in = nullptr;
      for (const auto& s : lan.subnets)
        if ((fw.to_ip & s.address.mask()) == s.address.network()) in = &s;
      if (in == nullptr)
        diag.error(mark, fmt::format("{}: to {} is not inside any lan subnet", what, ipv4_str(fw.to_ip)));
      else if (fw.to_ip == in->address.addr)
        diag.error(mark, fmt::format("{}: to {} is the edge's own LAN address", what, ipv4_str(fw.to_ip)));
      else if (in->address.len <= 30 &&
               (fw.to_ip == in->address.network() || fw.to_ip == (in->address.network() | ~in->address.mask())))
        diag.error(mark, fmt::format("{}: to {} is the network or broadcast address of {}", what, ipv4_str(fw.to_ip),
                                     net_str(in->address)));
    }
  }
}

}  // namespace wansteer::policy_reader
