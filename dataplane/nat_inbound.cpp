// Destination NAT, WAN->LAN (see nat_inbound.hpp). The session is found from the destination port (or echo
// identifier) alone: endpoint-independent filtering is not offered, any far end may answer an open mapping's
// port (RFC 4787 REQ-8 allows address-dependent filtering; EIM with endpoint-independent filtering is what games
// and VoIP without STUN relays need).
#include "dataplane/nat_inbound.hpp"

#include <cstring>

#include "dataplane/nat_translate.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {
namespace {

// Whether external port `port` is this worker's; if not, *owner (when given) learns whose it is. Checked before
// anything is changed, so a packet handed over arrives at its owner as it came in.
bool ours(const NatSessionTable& t, uint16_t port, uint16_t* owner) {
  if (t.owns(port)) return true;
  if (owner != nullptr) *owner = t.owner_of(port);
  return false;
}

// The session of external `port`, made for a port forward when the port is forwarded and has none; a forward
// session whose forward a reload removed or changed is released first. Null: no session (or none could be made).
NatSession* forward_session(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, NatProto p, uint16_t port,
                            const PortForward* fw, uint64_t now_tsc, NatIn* fail) {
  NatSession* s = w.nat->find_inbound(link, p, port, now_tsc, snap.nat.timeouts);
  if (s != nullptr && s->forward && (fw == nullptr || s->in_ip != fw->to_ip || s->in_port != fw->target_port(port))) {
    w.nat->release(s);
    s = nullptr;
  }
  if (s != nullptr || fw == nullptr) return s;
  if (w.nat->create_forward(link, p, fw->to_ip, fw->target_port(port), port, now_tsc, snap.nat.per_host, &s) !=
      NatAlloc::ok) {
    *fail = NatIn::full;
    return nullptr;
  }
  w.counters.nat_sessions_created.inc();
  return s;
}

void set_meta_dst(PacketMeta* meta, uint32_t addr, uint16_t port) {
  const uint8_t b[4] = {static_cast<uint8_t>(addr >> 24), static_cast<uint8_t>(addr >> 16),
                        static_cast<uint8_t>(addr >> 8), static_cast<uint8_t>(addr)};
  std::memcpy(meta->dst.data(), b, 4);
  meta->dport = port;
}

// An ICMP error (at l4) about a packet one of our sessions sent: the embedded header is that packet as it left,
// from the link's address and the external port. Both the outer destination and the embedded source go back to
// the LAN host, each checksum that covers a changed word follows (the ICMP checksum covers the embedded ones).
NatIn icmp_error_inbound(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t* ip, uint8_t* l4,
                         uint32_t seg_left, PacketMeta* meta, uint64_t now_tsc, uint16_t* owner) {
  uint8_t* inner = l4 + 8;
  const uint32_t before = static_cast<uint32_t>(inner - ip);
  if (before + 20 > seg_left || (inner[0] >> 4) != 4) return NatIn::untranslatable;
  if (nat_rd32(inner + 12) != snap.links[link].own_ip) return NatIn::no_session;
  const uint32_t inner_left = seg_left - before;
  const uint32_t ihl = (inner[0] & 0xfu) * 4u;
  const uint8_t proto = inner[9];
  if (ihl < 20 || ihl + 8 > inner_left || (nat_rd16(inner + 6) & 0x1fff) != 0) return NatIn::untranslatable;
  if (proto != kIpProtoTcp && proto != kIpProtoUdp && proto != kIpProtoIcmp) return NatIn::untranslatable;
  uint8_t* inner_l4 = inner + ihl;
  if (proto == kIpProtoIcmp && inner_l4[0] != kNatIcmpEchoRequest) return NatIn::untranslatable;
  uint8_t* port_at = nat_port_field(inner_l4, proto, true);
  if (!ours(*w.nat, nat_rd16(port_at), owner)) return NatIn::elsewhere;
  NatSession* s = w.nat->find_inbound(link, nat_proto_of(proto), nat_rd16(port_at), now_tsc, snap.nat.timeouts);
  if (s == nullptr) return NatIn::no_session;

  const NatSum icmp{l4 + 2, false};
  // The embedded transport checksum, when the quoted part holds it (TCP's sits at byte 16 of its header).
  NatSum inner_l4sum = nat_l4_sum(inner_l4, proto);
  if (proto == kIpProtoTcp && ihl + 18 > inner_left) inner_l4sum = {};
  const uint16_t old_ipck = nat_rd16(inner + 10);
  const uint16_t old_l4ck = inner_l4sum.at ? nat_rd16(inner_l4sum.at) : 0;
  nat_set32(inner + 12, s->in_ip, nat_ip_sum(inner), proto == kIpProtoIcmp ? NatSum{} : inner_l4sum, icmp);
  nat_set16(port_at, s->in_port, inner_l4sum, icmp);
  nat_fix(icmp, old_ipck, nat_rd16(inner + 10));
  if (inner_l4sum.at) nat_fix(icmp, old_l4ck, nat_rd16(inner_l4sum.at));
  nat_set32(ip + 16, s->in_ip, nat_ip_sum(ip));
  set_meta_dst(meta, s->in_ip, 0);
  return NatIn::ok;
}

}  // namespace

NatIn nat_inbound(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, PacketMeta* meta,
                  uint64_t now_tsc, uint16_t* owner) {
  if (!w.nat) return NatIn::no_session;
  uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, meta->l3_offset);
  const uint32_t seg_left = m->data_len - meta->l3_offset;
  uint8_t* l4 = nat_l4_of(ip, seg_left);
  if (l4 == nullptr) return NatIn::untranslatable;
  const uint8_t proto = ip[9];
  if (proto == kIpProtoIcmp) {
    const uint8_t type = l4[0];
    if (type == kNatIcmpUnreachable || type == kNatIcmpTimeExceeded || type == kNatIcmpParamProblem)
      return icmp_error_inbound(w, snap, link, ip, l4, seg_left, meta, now_tsc, owner);
    if (type != kNatIcmpEchoReply) return NatIn::untranslatable;
  }
  uint8_t* port_at = nat_port_field(l4, proto, false);
  const uint16_t port = nat_rd16(port_at);
  const LinkForwards* lf = proto == kIpProtoIcmp ? nullptr : forwards_of(snap, link);
  const PortForward* fw = lf != nullptr ? lf->inbound(nat_proto_of(proto), port) : nullptr;
  // Before the session: an open forward session must not let in sources the forward's `from` leaves out.
  if (fw != nullptr && !fw->allows(nat_rd32(ip + 12))) return NatIn::denied;
  if (!ours(*w.nat, port, owner)) return NatIn::elsewhere;
  NatIn fail = NatIn::no_session;
  NatSession* s = forward_session(w, snap, link, nat_proto_of(proto), port, fw, now_tsc, &fail);
  if (s == nullptr) return fail;
  if (fw != nullptr) w.counters.nat_forward_hits.inc();
  nat_inbound_rewrite(*s, ip, l4, port_at, now_tsc);
  set_meta_dst(meta, s->in_ip, proto == kIpProtoIcmp ? 0 : s->in_port);
  return NatIn::ok;
}

}  // namespace wansteer
