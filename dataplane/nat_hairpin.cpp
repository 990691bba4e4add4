// Hairpinning (see nat_hairpin.hpp). The destination is what a WAN packet to that port would reach: a forward's LAN
// host (its `from` is not applied: a LAN host may reach that host directly anyway) or the LAN host of an open
// session (the answer to a hairpinned packet); the source becomes the sender's mapping on the link, as if it left.
#include "dataplane/nat_hairpin.hpp"

#include <cstring>

#include "dataplane/hop_limit.hpp"
#include "dataplane/lan_deliver.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/nat_outbound.hpp"
#include "dataplane/nat_translate.hpp"

namespace wansteer {
namespace {

// Where a hairpinned packet to external `port` goes: the forward's LAN endpoint, or the session's (its TCP state
// moves as for a packet coming in). False when the port is neither.
bool hairpin_target(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, NatProto p, uint16_t port,
                    uint8_t tcp_flags, uint64_t now_tsc, uint32_t* ip, uint16_t* to_port) {
  const LinkForwards* lf = forwards_of(snap, link);
  if (const PortForward* fw = lf != nullptr ? lf->inbound(p, port) : nullptr) {
    *ip = fw->to_ip;
    *to_port = fw->target_port(port);
    return true;
  }
  NatSession* s = w.nat->find_inbound(link, p, port, now_tsc, snap.nat.timeouts);
  if (s == nullptr) return false;
  s->last_seen_tsc = now_tsc;
  if (p == NatProto::tcp) nat_tcp_track(*s, tcp_flags, false);
  *ip = s->in_ip;
  *to_port = s->in_port;
  return true;
}

void set_meta_addrs(PacketMeta* meta, const uint8_t* ip, uint16_t sport, uint16_t dport) {
  std::memcpy(meta->src.data(), ip + 12, 4);
  std::memcpy(meta->dst.data(), ip + 16, 4);
  meta->sport = sport;
  meta->dport = dport;
}

}  // namespace

uint8_t nat_hairpin_link(const DataplaneSnapshot& snap, const PacketMeta* meta) {
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4) || (meta->flags & PacketMeta::kFlagFragment)) return kNoLink;
  if (meta->proto != kIpProtoTcp && meta->proto != kIpProtoUdp) return kNoLink;
  const uint32_t dst = ipv4_of(meta->dst);
  for (uint8_t l = 0; l < snap.n_links; l++)
    if (snap.links[l].nat && snap.links[l].own_ip == dst) return l;
  return kNoLink;
}

void nat_hairpin(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, PacketMeta* meta,
                 uint64_t now_tsc) {
  uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, meta->l3_offset);
  const uint32_t seg_left = m->data_len - meta->l3_offset;
  uint8_t* l4 = nat_l4_of(ip, seg_left);
  if (!w.nat || l4 == nullptr) {
    drop_packet(w, m, 0, DropReason::nat_untranslatable);
    return;
  }
  const uint8_t proto = ip[9];
  const NatProto p = proto == kIpProtoTcp ? NatProto::tcp : NatProto::udp;
  uint32_t to_ip = 0;
  uint16_t to_port = 0;
  if (!hairpin_target(w, snap, link, p, nat_rd16(l4 + 2), l4[13], now_tsc, &to_ip, &to_port)) {
    drop_packet(w, m, 0, DropReason::inbound_no_session);
    return;
  }
  const NeighborTable::Entry* ne = lan_neighbor_of(snap, to_ip);
  NatSession* s = nullptr;
  const NatOut o = nat_outbound_session(w, snap, link, ip, seg_left, true, now_tsc, &s, nullptr);
  if (o != NatOut::ok) {
    drop_packet(w, m, 0, nat_out_drop_reason(o));
    return;
  }
  nat_outbound_rewrite(ip, *s, snap.links[link].own_ip);
  nat_rewrite_endpoint(ip, proto, ip + 16, to_ip, l4 + 2, to_port, nat_l4_sum(l4, proto));
  set_meta_addrs(meta, ip, s->ext_port, to_port);
  if (!ipv4_decrement_ttl(m, meta->l3_offset)) {
    drop_packet(w, m, 0, DropReason::ttl_expired);
    return;
  }
  w.counters.nat_hairpin.inc();
  if (ne == nullptr) {
    hand_to_control(w, m, 0, PacketMeta::kToControlResolve);  // control holds it until the host answers ARP
    return;
  }
  lan_deliver(w, snap, 0, m, meta, *ne);
}

}  // namespace wansteer
