// Routed links' stateful firewall (see routed_firewall.hpp). A session is the LAN host's endpoint (protocol,
// address, port or echo identifier) on the link, as a NAT mapping is, and like one filters endpoint-independently:
// any far end may answer an endpoint the host opened (what VoIP and games need, RFC 4787 REQ-8).
#include "dataplane/routed_firewall.hpp"

#include "dataplane/nat_translate.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {
namespace {

// The LAN endpoint an inbound packet is about: for TCP, UDP and echo replies its destination, for an ICMP error
// the source of the packet it quotes (which must be the LAN host it is sent to). False: untracked.
struct Endpoint {
  uint8_t proto = 0;
  uint16_t port = 0;
  bool error = false;  // an ICMP error: lets the host learn, refreshes nothing
};

bool quoted_endpoint(const uint8_t* ip, const uint8_t* l4, uint32_t seg_left, Endpoint* ep) {
  const uint8_t* inner = l4 + 8;
  const uint32_t before = static_cast<uint32_t>(inner - ip);
  if (before + 20 > seg_left || (inner[0] >> 4) != 4) return false;
  const uint32_t inner_left = seg_left - before;
  const uint32_t ihl = (inner[0] & 0xfu) * 4u;
  const uint8_t proto = inner[9];
  if (ihl < 20 || ihl + 8 > inner_left || (nat_rd16(inner + 6) & 0x1fff) != 0) return false;
  if (proto != kIpProtoTcp && proto != kIpProtoUdp && proto != kIpProtoIcmp) return false;
  if (proto == kIpProtoIcmp && inner[ihl] != kNatIcmpEchoRequest) return false;
  if (nat_rd32(inner + 12) != nat_rd32(ip + 16)) return false;  // about another host's packet
  ep->proto = proto;
  ep->port = nat_rd16(inner + ihl + (proto == kIpProtoIcmp ? 4 : 0));
  ep->error = true;
  return true;
}

bool inbound_endpoint(const uint8_t* ip, const uint8_t* l4, uint32_t seg_left, Endpoint* ep) {
  const uint8_t proto = ip[9];
  if (proto != kIpProtoIcmp) {
    *ep = Endpoint{proto, nat_rd16(l4 + 2), false};
    return true;
  }
  const uint8_t type = l4[0];
  if (type == kNatIcmpEchoReply) {
    *ep = Endpoint{proto, nat_rd16(l4 + 4), false};
    return true;
  }
  if (type == kNatIcmpUnreachable || type == kNatIcmpTimeExceeded || type == kNatIcmpParamProblem)
    return quoted_endpoint(ip, l4, seg_left, ep);
  return false;  // echo requests and the rest: the internet does not ping a routed LAN's hosts
}

}  // namespace

FwOut firewall_outbound(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t* ip, uint32_t seg_left,
                        bool create, uint64_t now_tsc, uint16_t* owner) {
  if (!w.nat) return FwOut::untracked;
  uint8_t* l4 = nat_l4_of(ip, seg_left);
  if (l4 == nullptr) return FwOut::untracked;
  const uint8_t proto = ip[9];
  if (proto == kIpProtoIcmp && l4[0] != kNatIcmpEchoRequest) return FwOut::untracked;
  const uint16_t port = nat_rd16(nat_port_field(l4, proto, true));
  if (!w.nat->owns(port)) {
    *owner = w.nat->owner_of(port);
    return FwOut::elsewhere;
  }
  const NatProto p = nat_proto_of(proto);
  const uint32_t src = nat_rd32(ip + 12);
  NatSession* s = w.nat->find_outbound(link, p, src, port, now_tsc, snap.nat.timeouts);
  if (s == nullptr) {
    if (!create) return FwOut::no_session;
    const NatAlloc a = w.nat->create_pinhole(link, p, src, port, now_tsc, snap.nat.per_host, &s);
    if (a != NatAlloc::ok) return a == NatAlloc::host_limit ? FwOut::host_limit : FwOut::table_full;
    w.counters.nat_sessions_created.inc();
  }
  s->last_seen_tsc = now_tsc;
  if (p == NatProto::tcp) nat_tcp_track(*s, l4[13], true);
  return FwOut::ok;
}

FwIn firewall_inbound(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m,
                      const PacketMeta* meta, uint64_t now_tsc, uint16_t* owner) {
  uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, meta->l3_offset);
  const uint32_t seg_left = m->data_len - meta->l3_offset;
  uint8_t* l4 = nat_l4_of(ip, seg_left);
  Endpoint ep;
  if (l4 == nullptr || !inbound_endpoint(ip, l4, seg_left, &ep)) return FwIn::untracked;
  const uint32_t host = nat_rd32(ip + 16);
  const NatProto p = nat_proto_of(ep.proto);
  // An allowed service first: its `from` holds even while the host's own session on that port is open.
  const LinkForwards* lf = ep.error || p == NatProto::icmp ? nullptr : forwards_of(snap, link);
  if (const PortForward* fw = lf != nullptr ? lf->allowing(p, host, ep.port) : nullptr) {
    if (!fw->allows(nat_rd32(ip + 12))) return FwIn::denied;
    w.counters.nat_forward_hits.inc();
    return FwIn::ok;
  }
  if (!w.nat) return FwIn::no_session;
  if (!w.nat->owns(ep.port)) {
    *owner = w.nat->owner_of(ep.port);
    return FwIn::elsewhere;
  }
  NatSession* s = w.nat->find_outbound(link, p, host, ep.port, now_tsc, snap.nat.timeouts);
  if (s == nullptr) return FwIn::no_session;
  if (!ep.error) {
    s->last_seen_tsc = now_tsc;
    if (p == NatProto::tcp) nat_tcp_track(*s, l4[13], false);
  }
  return FwIn::ok;
}

}  // namespace wansteer
