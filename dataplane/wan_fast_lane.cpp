// WAN fast lane (see wan_fast_lane.hpp): pass A checks frames and starts loading each session's index slot, pass B
// the session it names, pass C finds it, checks the LAN host's cached route and forwards, through the general path's
// own steps: find_in_slot (find_inbound's lookup), nat_lane_inbound_rewrite (nat_inbound_rewrite for the frames the
// lane takes, with the TTL decrement), tcp_mss_clamp and tx_enqueue.
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
// neighbour resolved), cached in the session for this snapshot. False: the general path's (no route, unresolved).
inline bool session_lan_route(const DataplaneSnapshot& snap, uint32_t gen_tag, NatSession& s) {
  if ((s.lan_tag & kLanTagGenMask) == gen_tag) return true;
  const int subnet = lan_subnet_of(snap, s.in_ip);
  if (subnet < 0 || s.in_ip == snap.lan[subnet].own_ip) return false;
  const NeighborTable::Entry* ne = lan_neighbor_of(snap, s.in_ip);
  if (ne == nullptr) return false;
  std::memcpy(s.lan_mac, ne->mac.addr_bytes, sizeof s.lan_mac);
  s.lan_tag = gen_tag | uint32_t{ne->subnet} << 24;
  return true;
}

// True for a reply the lane may look up: to the link's address, not a first fragment, not a probe or DHCP reply
// (control's), not to a forwarded port (the general path checks the forward's sources), on a port this worker owns.
inline bool lane_reply(const WorkerContext& w, const LinkConfig& L, const LinkForwards* lf, const uint8_t* ip,
                       NatProto p, uint16_t dport) {
  if (nat_rd32(ip + 16) != L.own_ip || (ip[6] & 0x20) != 0) return false;
  // The ports first, the protocol last: a jump on the protocol would go either way (lane_proto_ok).
  const bool control = is_probe_port(dport) || (L.dhcp && dport == 68 && nat_rd16(ip + kLaneIpLen) == 67);
  if (control && p == NatProto::udp) return false;
  return (lf == nullptr || !lf->forwarded(p, dport)) && w.nat->owns(dport);
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

// Pass C for one candidate, reply m of protocol kTcp whose session's index slot is `slot`: the session (an expired
// one released, as the general path would), the host's route, then forward. False: the general path's, untouched.
template <bool kTcp>
inline bool lane_take(WorkerContext& w, const DataplaneSnapshot& snap, NatSessionTable& nat, uint8_t link, rte_mbuf* m,
                      const uint32_t* slot, uint32_t gen_tag, uint64_t now_tsc) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* ip = p + kLaneEthLen;
  // A TCP header (lane_tcp_ok) before the session, whose lookup may release an expired one: the general path drops
  // a malformed header before NAT.
  if (kTcp && !lane_tcp_ok(ip, nat_rd16(ip + 2))) return false;
  NatSession* s = nat.find_in_slot(slot, now_tsc, snap.nat.timeouts);
  // A forward's session (its forward gone in a reload: the general path releases it), no route to the host, a
  // tagged subnet, or a source of the LAN's own subnets (the general path drops it as martian): not the lane's.
  if (s == nullptr || s->forward || !session_lan_route(snap, gen_tag, *s) || snap.lan[s->lan_tag >> 24].vlan != 0 ||
      lan_subnet_of(snap, nat_rd32(ip + 12)) >= 0)
    return false;
  // TTL - 1 (lane_frame_ok checked TTL > 1) in the same header checksum update as the translation.
  nat_lane_inbound_rewrite(*s, ip, kTcp, now_tsc, nat_ttl_decrement(ip));
  lane_deliver(w, snap, link, m, p, *s, kTcp);
  return true;
}

}  // namespace

uint16_t wan_fast_lane(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n,
                       uint64_t now_tsc) {
  const LinkConfig& L = snap.links[link];
  if (!L.nat || !w.nat) {  // routed links: the firewall's session, the general path's
    count_rx(w, static_cast<uint8_t>(link + 1), pkts, n);
    return n;
  }
  NatSessionTable& nat = *w.nat;
  const LinkForwards* lf = forwards_of(snap, link);
  const uint16_t overlay_port = snap.overlay.enabled ? snap.overlay.local_port : 0;
  static_assert(kBurst <= 64, "one bit per packet in `rest`");
  uint64_t rest = 0;  // bit i: pkts[i] goes to the general path

  // Pass A: frame checks; each candidate's index slot starts loading. The TCP candidates are listed apart from the
  // UDP ones, then ahead of them: an office's TCP and UDP flows arrive in no order a branch predictor learns, and
  // pass C's steps test the protocol (session timeout, TCP tracking, checksum), so in arrival order each of its
  // packets would cost about one misprediction. Each flow is of one protocol and keeps its order.
  uint8_t at[kBurst], at_udp[kBurst];               // TCP candidate j is pkts[at[j]], UDP one pkts[at_udp[j]]
  const uint32_t *slot[kBurst], *slot_udp[kBurst];  // its session's index slot (NatSessionTable::inbound_slot)
  uint16_t nt = 0, nu = 0;
  uint64_t rx_bytes = 0;
  for (uint16_t i = 0; i < n; i++) {
    const uint8_t* f = rte_pktmbuf_mtod(pkts[i], const uint8_t*);
    rx_bytes += pkts[i]->pkt_len;
    const uint8_t* ip = f + kLaneEthLen;
    if (!lane_frame_ok(pkts[i], f)) {
      rest |= uint64_t{1} << i;
      continue;
    }
    const NatProto p = ip[9] == kLaneProtoTcp ? NatProto::tcp : NatProto::udp;  // lane_frame_ok: TCP or UDP
    const uint16_t dport = nat_rd16(ip + kLaneIpLen + 2);
    // datagrams to the overlay's port are the edge's own tunnel (wan_route.cpp), never a LAN host's reply
    if (!lane_reply(w, L, lf, ip, p, dport) || (dport == overlay_port && p == NatProto::udp)) {
      rest |= uint64_t{1} << i;
      continue;
    }
    // Stored in both lists, counted in one: no jump on the protocol.
    slot[nt] = slot_udp[nu] = nat.inbound_slot(link, p, dport);
    at[nt] = at_udp[nu] = static_cast<uint8_t>(i);
    nt += static_cast<uint16_t>(p == NatProto::tcp);
    nu += static_cast<uint16_t>(p == NatProto::udp);
  }
  w.counters.port[link + 1].rx_packets.add(n);
  w.counters.port[link + 1].rx_bytes.add(rx_bytes);
  // Pass B: the sessions' lines.
  for (uint16_t j = 0; j < nt; j++) nat.prefetch_session_in(slot[j]);
  for (uint16_t j = 0; j < nu; j++) nat.prefetch_session_in(slot_udp[j]);

  // Pass C: the TCP candidates, then the UDP ones, each list in arrival order.
  const uint32_t gen_tag = lan_tag_generation(snap.generation);
  uint32_t taken = 0;
  for (uint16_t j = 0; j < nt; j++) {
    if (lane_take<true>(w, snap, nat, link, pkts[at[j]], slot[j], gen_tag, now_tsc))
      taken++;
    else
      rest |= uint64_t{1} << at[j];
  }
  for (uint16_t j = 0; j < nu; j++) {
    if (lane_take<false>(w, snap, nat, link, pkts[at_udp[j]], slot_udp[j], gen_tag, now_tsc))
      taken++;
    else
      rest |= uint64_t{1} << at_udp[j];
  }
  w.counters.wan_fast_lane.add(taken);
  return lane_keep_rest(pkts, rest);
}

}  // namespace wansteer
