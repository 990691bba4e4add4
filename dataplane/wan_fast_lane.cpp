// WAN fast lane (see wan_fast_lane.hpp): pass A checks frames and starts loading each session's index slot, pass B
// the session it names, pass C finds it, checks the LAN host's cached route and forwards, through the general path's
// own steps: InboundView::find (find_inbound's lookup), nat_lane_inbound_rewrite (nat_inbound_rewrite for the frames
// the lane takes, with the TTL decrement), tcp_mss_clamp and tx_enqueue.
#include "dataplane/wan_fast_lane.hpp"

#include <cstring>

#include "dataplane/lan_deliver.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/lane_frame.hpp"
#include "dataplane/nat_inbound.hpp"
#include "dataplane/probe_ids.hpp"
#include "dataplane/tcp_mss.hpp"

namespace wansteer {
namespace {

constexpr uint32_t kLanTagGenMask = 0xffffff;

// The snapshot generation as NatSession::lan_tag holds it (low 24 bits, 1..2^24-1: 0 means no route cached). A route
// cached exactly a multiple of 2^24-1 publishes ago would read as current; control publishes only on changes (links,
// neighbours, reloads), so a live session would have to see no reply over millions of them.
inline uint32_t lan_tag_generation(uint64_t generation) {
  return static_cast<uint32_t>(generation % kLanTagGenMask) + 1;
}

// The LAN host of session `s` as wan_route.cpp routes a reply to it (a host of a LAN subnet, not the edge, its
// neighbour resolved), cached in the session for this snapshot. False: the general path's (no route, unresolved),
// and so are a port forward's sessions (a reload may have removed the forward: the general path releases them) and
// hosts on a tagged subnet; neither is ever cached, so a packet of a cached session tests nothing but the tag.
inline bool session_lan_route(const DataplaneSnapshot& snap, uint32_t gen_tag, NatSession& s) {
  if ((s.lan_tag & kLanTagGenMask) == gen_tag) return true;
  if (s.forward) return false;
  const int subnet = lan_subnet_of(snap, s.in_ip);
  if (subnet < 0 || s.in_ip == snap.lan[subnet].own_ip || snap.lan[subnet].vlan != 0) return false;
  const NeighborTable::Entry* ne = lan_neighbor_of(snap, s.in_ip);
  if (ne == nullptr) return false;
  std::memcpy(s.lan_mac, ne->mac.addr_bytes, sizeof s.lan_mac);
  s.lan_tag = gen_tag | uint32_t{ne->subnet} << 24;
  return true;
}

// True for a reply the lane may look up: to the link's address (lane_frame_ok left out fragments), not a probe or
// DHCP reply (control's), not to a forwarded port (the general path checks the forward's sources), on a port this
// worker owns.
inline bool lane_reply(const NatSessionTable::InboundView& nat, const LinkConfig& L, const LinkForwards* lf,
                       const uint8_t* ip, NatProto p, uint16_t dport) {
  if (nat_rd32(ip + 16) != L.own_ip) return false;
  // The ports first, the protocol last: a jump on the protocol would go either way (lane_proto_ok).
  const bool control = is_probe_port(dport) || (L.dhcp && dport == 68 && nat_rd16(ip + kLaneIpLen) == 67);
  if (control && p == NatProto::udp) return false;
  return (lf == nullptr || !lf->forwarded(p, dport)) && nat.owns(dport);
}

// The translated reply (TTL already decremented with it) to its LAN host: a SYN-ACK's MSS (in the general path's
// order), Ethernet, tx.
inline void lane_deliver(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, uint8_t* p,
                         const NatSession& s, bool tcp) {
  uint8_t* ip = p + kLaneEthLen;
  const uint16_t mss_max = snap.links[link].mss_max;
  if (tcp && mss_max != 0 && tcp_is_syn(ip + kLaneIpLen) &&
      tcp_mss_clamp(ip + kLaneIpLen, nat_rd16(ip + 2) - kLaneIpLen, mss_max))
    w.counters.mss_clamped.inc();
  std::memcpy(p, s.lan_mac, sizeof s.lan_mac);
  std::memcpy(p + RTE_ETHER_ADDR_LEN, snap.lan_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  tx_enqueue(w, 0, m);
}

// One burst on one link, as pass C needs it.
struct LaneBurst {
  WorkerContext& w;
  const DataplaneSnapshot& snap;
  const NatSessionTable::InboundView& nat;
  uint8_t link;
  rte_mbuf** pkts;
  const uint32_t* const* slot;  // slot[i]: candidate pkts[i]'s session index slot (InboundView::slot)
  uint32_t gen_tag;             // lan_tag_generation of the snapshot
  uint64_t now_tsc;
};

// Pass C for one candidate, reply pkts[i] of protocol kTcp: the session (an expired one released, as the general
// path would), the host's route, then forward. False: the general path's, untouched.
template <bool kTcp>
inline bool lane_take(const LaneBurst& b, unsigned i) {
  rte_mbuf* m = b.pkts[i];
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* ip = p + kLaneEthLen;
  // A TCP header (lane_tcp_ok) before the session, whose lookup may release an expired one: the general path drops
  // a malformed header before NAT.
  if (kTcp && !lane_tcp_ok(ip, nat_rd16(ip + 2))) return false;
  NatSession* s = b.nat.find < kTcp ? NatProto::tcp : NatProto::udp > (b.slot[i], b.now_tsc, b.snap.nat.timeouts);
  // No route cached for the host (session_lan_route), or a source of the LAN's own subnets (the general path drops
  // it as martian): not the lane's.
  if (s == nullptr || !session_lan_route(b.snap, b.gen_tag, *s) || lan_subnet_of(b.snap, nat_rd32(ip + 12)) >= 0)
    return false;
  // TTL - 1 (lane_frame_ok checked TTL > 1) in the same header checksum update as the translation.
  nat_lane_inbound_rewrite(*s, ip, kTcp, b.now_tsc, nat_ttl_decrement(ip));
  lane_deliver(b.w, b.snap, b.link, m, p, *s, kTcp);
  return true;
}

// Pass C over the candidates of one protocol (bit i: pkts[i]), in arrival order; returns those it forwarded.
template <bool kTcp>
inline uint64_t lane_take_all(const LaneBurst& b, uint64_t candidates) {
  uint64_t took = 0;
  for (uint64_t m = candidates; m != 0; m &= m - 1)
    if (lane_take<kTcp>(b, static_cast<unsigned>(__builtin_ctzll(m)))) took |= m & -m;
  return took;
}

}  // namespace

uint16_t wan_fast_lane(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n,
                       uint64_t now_tsc) {
  const LinkConfig& L = snap.links[link];
  if (!L.nat || !w.nat) {  // routed links: the firewall's session, the general path's
    count_rx(w, static_cast<uint8_t>(link + 1), pkts, n);
    return n;
  }
  const NatSessionTable::InboundView nat = w.nat->inbound_view(link);
  const LinkForwards* lf = forwards_of(snap, link);
  const uint16_t overlay_port = snap.overlay.enabled ? snap.overlay.local_port : 0;
  static_assert(kBurst <= 64, "one bit per packet in a candidate mask");

  // Pass A: frame checks; each candidate's index slot starts loading. The TCP candidates are marked apart from the
  // UDP ones and pass C takes them first: an office's TCP and UDP flows arrive in no order a branch predictor
  // learns, and pass C's steps test the protocol (session timeout, TCP tracking, checksum), so in arrival order each
  // of its packets would cost about one misprediction. Each flow is of one protocol and keeps its order.
  const uint32_t* slot[kBurst];
  uint64_t tcp = 0, udp = 0;  // bit i: pkts[i] is a TCP (UDP) candidate
  uint64_t rx_bytes = 0;
  for (uint16_t i = 0; i < n; i++) {
    const uint8_t* f = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
    rx_bytes += pkts[i]->pkt_len;
    const uint8_t* ip = f + kLaneEthLen;
    if (!lane_frame_ok(pkts[i], f)) continue;
    const bool is_tcp = ip[9] == kLaneProtoTcp;  // lane_frame_ok: TCP or UDP
    const NatProto p = is_tcp ? NatProto::tcp : NatProto::udp;
    const uint16_t dport = nat_rd16(ip + kLaneIpLen + 2);
    // datagrams to the overlay's port are the edge's own tunnel (wan_route.cpp), never a LAN host's reply
    if (!lane_reply(nat, L, lf, ip, p, dport) || (dport == overlay_port && !is_tcp)) continue;
    slot[i] = nat.slot(p, dport);
    // Marked in one mask or the other without a jump on the protocol.
    const uint64_t bit = uint64_t{1} << i;
    tcp |= bit & -uint64_t{is_tcp};
    udp |= bit & (uint64_t{is_tcp} - 1);
  }
  w.counters.port[link + 1].rx_packets.add(n);
  w.counters.port[link + 1].rx_bytes.add(rx_bytes);
  // Pass B: the sessions' lines.
  for (uint64_t m = tcp | udp; m != 0; m &= m - 1) nat.prefetch_session(slot[__builtin_ctzll(m)]);

  // Pass C: the TCP candidates, then the UDP ones. What is not taken, in order, is the general path's.
  const LaneBurst b{w, snap, nat, link, pkts, slot, lan_tag_generation(snap.generation), now_tsc};
  const uint64_t took = lane_take_all<true>(b, tcp) | lane_take_all<false>(b, udp);
  w.counters.wan_fast_lane.add(static_cast<uint64_t>(__builtin_popcountll(took)));
  const uint64_t all = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  return lane_keep_rest(pkts, all & ~took);
}

}  // namespace wansteer
