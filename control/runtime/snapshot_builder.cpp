// Snapshot builder: policy + state -> DataplaneSnapshot (control thread, off the fast path).
#include "control/runtime/snapshot_builder.hpp"

#include "control/runtime/egress_plan.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/overlay/peer_source.hpp"

namespace wansteer {
namespace {

// The links' forwards as the workers read them (a routed link's: its allowed inbound services); null when none.
std::shared_ptr<const PortForwards> build_forwards(const Policy& p) {
  bool any = false;
  for (const LinkSpec& l : p.links) any = any || !l.forwards.empty();
  if (!any) return nullptr;
  auto out = std::make_shared<PortForwards>();
  for (size_t l = 0; l < p.links.size() && l < kMaxLinks; l++) {
    LinkForwards& lf = out->link[l];
    for (const ForwardSpec& fs : p.links[l].forwards) {
      if (lf.n == kMaxForwardsPerLink) break;
      PortForward& f = lf.fwd[lf.n++];
      f.to_ip = fs.to_ip;
      f.port_lo = fs.port.lo;
      f.port_hi = fs.port.hi;
      f.to_port = fs.to_port;
      f.proto = static_cast<uint8_t>(fs.proto == 6 ? NatProto::tcp : NatProto::udp);
      for (const Prefix4& pr : fs.from) {
        if (f.n_from == kMaxForwardSources) break;
        const uint32_t mask = pr.len == 0 ? 0 : ~uint32_t{0} << (32 - pr.len);
        f.from[f.n_from++] = PortForward::Source{pr.addr & mask, mask};
      }
      for (uint32_t port = f.port_lo; port <= f.port_hi; port++)
        lf.mark(static_cast<NatProto>(f.proto), static_cast<uint16_t>(port));
    }
  }
  return out;
}

// The overlay as the workers read it: the peer (a hub, or a site with its prefixes and its endpoint as learned), our
// port, the inner MTU and the session's current keys.
OverlayConfig build_overlay(const Policy& p, const wg::PeerKeysView* keys, uint64_t learned, uint64_t other) {
  const OverlaySpec& spec = p.overlay;
  OverlayConfig o;
  if (!spec.enabled) return o;
  o.enabled = true;
  o.hub_ip = spec.hub_address;
  o.hub_port = spec.hub_port;
  o.local_port = spec.listen_port;
  o.inner_mtu = spec.mtu;
  o.site = spec.site_peer;
  if (spec.site_peer) {  // else the default: a hub may send from any address (it forwards the internet)
    o.n_allowed = 0;
    for (const Ipv4Cidr& c : spec.allowed_ips)
      if (o.n_allowed < kMaxOverlayPrefixes) o.allowed[o.n_allowed++] = {c.network(), c.mask()};
    if (learned != 0) {  // WireGuard sends to where the peer was last heard from, configured endpoint or not
      o.hub_ip = peer_source_ip(learned);
      o.hub_port = peer_source_port(learned);
    }
    o.alt_ip = peer_source_ip(other);
    o.alt_port = peer_source_port(other);
    for (size_t c = 0; c < p.classes.size() && c < kMaxClasses; c++)
      if (p.classes[c].duplicate == Duplicate::always) o.dup_classes = static_cast<uint16_t>(o.dup_classes | 1u << c);
  }
  if (keys != nullptr) o.keys = *keys;
  return o;
}

}  // namespace

// IPv4 and TCP headers without options: what a link's MTU leaves for a TCP segment's payload (the MSS).
constexpr uint16_t kIpv4TcpHeaders = 40;

std::unique_ptr<DataplaneSnapshot> build_snapshot(const SnapshotInputs& in, const DataplaneSnapshot* prev) {
  const Policy& p = in.policy;
  auto s = std::make_unique<DataplaneSnapshot>();
  s->generation = in.generation;
  s->policy_generation = in.policy_generation;
  s->classifier = in.classifier;
  s->neighbors = in.neighbors;
  s->n_links = static_cast<uint8_t>(p.links.size());
  s->n_classes = static_cast<uint8_t>(p.classes.size());
  s->n_lan = static_cast<uint8_t>(p.lan.subnets.size());
  s->lan_port_id = in.ports.lan_port;
  s->lan_mac = in.ports.lan_mac;
  for (size_t i = 0; i < p.lan.subnets.size(); i++) {
    const auto& sub = p.lan.subnets[i];
    s->lan[i] = LanSubnet{sub.address.addr, sub.address.network(), sub.address.mask(), sub.vlan, sub.routed};
  }
  lan_summarise(*s);
  for (size_t l = 0; l < p.links.size(); l++) {
    const LinkSpec& ls = p.links[l];
    LinkConfig& lc = s->links[l];
    lc.port_id = in.ports.link_port[l];
    lc.own_ip = ls.address.addr;
    lc.network = ls.address.network();
    lc.mask = ls.address.mask();
    lc.gateway_ip = ls.gateway;
    lc.own_mac = in.ports.link_mac[l];
    lc.gateway_mac = in.gateways.mac[l];
    lc.gateway_resolved = in.gateways.resolved[l];
    lc.backup = ls.role == LinkRole::backup;
    lc.nat = ls.nat;
    lc.firewall = !ls.nat && ls.firewall;
    lc.fragment = ls.fragment;
    lc.dhcp = ls.dhcp;
    lc.mtu = ls.mtu;
    lc.mss_max = ls.mss_clamp ? static_cast<uint16_t>(ls.mtu - kIpv4TcpHeaders) : 0;
  }
  s->steering = in.steering;
  s->flow_idle_tsc = static_cast<uint64_t>(p.flow_cache.idle_timeout_s) * in.tsc_hz;
  s->nat.per_host = p.nat.per_host;
  s->nat.timeouts =
      NatTimeouts{uint64_t{p.nat.udp_timeout_s} * in.tsc_hz, uint64_t{p.nat.tcp_established_timeout_s} * in.tsc_hz,
                  uint64_t{p.nat.tcp_transitory_timeout_s} * in.tsc_hz, uint64_t{p.nat.icmp_timeout_s} * in.tsc_hz};
  s->forwards = build_forwards(p);
  s->overlay = build_overlay(p, in.overlay_keys, in.overlay_endpoint, in.overlay_other_endpoint);
  s->egress = plan_egress(p, in.usable, prev ? &prev->egress : nullptr, in.tsc_hz, in.budget_exhausted);
  return s;
}

}  // namespace wansteer
