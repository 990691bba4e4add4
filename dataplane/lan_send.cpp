// General path, LAN stage 3: the packet's route on its link (the worker's RouteTable, as the fast lane uses it),
// the link's MTU (fragmentation needed back to the sender for a DF packet too large, the others fragmented), TTL (a
// time exceeded back to the sender when it runs out), TCP SYN MSS clamping, source NAT on links that translate or
// the firewall's session on routed links (either handed to the worker owning the source endpoint when another owns
// it), VLAN strip, Ethernet rewrite to the link's next hop, flow totals, then out on the route.
#include <cstring>

#include "dataplane/frame_edit.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/hop_limit.hpp"
#include "dataplane/icmp_error.hpp"
#include "dataplane/ipv4_fragment.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/nat_handoff.hpp"
#include "dataplane/nat_outbound.hpp"
#include "dataplane/route_send.hpp"
#include "dataplane/routed_firewall.hpp"
#include "dataplane/tcp_mss.hpp"

namespace wansteer {
namespace {

enum class Send : uint8_t { sent, no_usable_link, no_neighbor, ttl_expired, too_big_df, too_big_nodf };

inline bool decrement_hops(rte_mbuf* m, const PacketMeta* meta) {
  return meta->l3 == static_cast<uint8_t>(L3::ipv4) ? ipv4_decrement_ttl(m, meta->l3_offset)
                                                    : ipv6_decrement_hop_limit(m, meta->l3_offset);
}

// A packet over its link's MTU: with DF set (or IPv6, which routers never fragment) the sender must learn the MTU;
// without, it is fragmented after its rewrite (`sent`) on a link with `fragment: true`, else dropped. Its TTL
// running out here comes first (as Linux orders them), so that traceroute with large probes still sees this hop.
inline Send too_big(rte_mbuf* m, const PacketMeta* meta, bool fragment) {
  const uint8_t* ip = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta->l3_offset);
  if (meta->l3 == static_cast<uint8_t>(L3::ipv6)) return ip[7] <= 1 ? Send::ttl_expired : Send::too_big_df;
  if (ip[8] <= 1) return Send::ttl_expired;
  if ((ip[6] & 0x40) != 0) return Send::too_big_df;
  return fragment ? Send::sent : Send::too_big_nodf;
}

// Checks the route and the MTU (one compare) and decrements the TTL; on `sent` the packet is ready for its rewrite.
inline Send send_check(const DataplaneSnapshot& snap, const RouteTable& routes, rte_mbuf* m, const PacketMeta* meta) {
  if (meta->link >= snap.n_links) return Send::no_usable_link;  // kNoLink included
  if (routes.route[meta->class_id][meta->link].how == LinkRoute::kNoNeighbor) return Send::no_neighbor;
  const LinkConfig& L = snap.links[meta->link];
  if (meta->l3_len > L.mtu) {  // before the TTL: quoted as it came
    if (const Send s = too_big(m, meta, L.fragment); s != Send::sent) return s;
  }
  if (!decrement_hops(m, meta)) return Send::ttl_expired;
  return Send::sent;
}

// The edge's address on the LAN subnet the packet came from: the source of the time exceeded it gets back (the
// interface it arrived on, RFC 1812 4.3.2.4). Admission let only LAN sources in; 0 (no error) if none matches.
inline uint32_t arrival_address(const DataplaneSnapshot& snap, const PacketMeta* meta) {
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4)) return 0;
  const int subnet = lan_subnet_of(snap, ipv4_of(meta->src));
  return subnet < 0 ? 0 : snap.lan[subnet].own_ip;
}

// Hands the packet to worker `owner`, which owns the NAT mappings or firewall sessions of its source endpoint and
// finishes it with lan_send_handed; counted in the flow entry `e` first (this worker's: the owner never sees it).
inline void hand_to_owner(WorkerContext& w, rte_mbuf* m, const PacketMeta* meta, FlowEntry* e, uint16_t owner) {
  if (e != nullptr) {
    e->packets++;
    e->bytes += m->pkt_len - 4u * meta->vlan_count;  // as it will leave: untagged
  }
  nat_handoff_stage(w, owner, m);  // meta->port is 0: a LAN packet
}

// Source NAT (NAT links) or the firewall's session (routed links) of an IPv4 packet about to leave on `link`, made
// when missing. False: dropped (counted), or handed to the worker that owns its source endpoint (hand_to_owner).
inline bool wan_session(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf* m, PacketMeta* meta, uint8_t link,
                        FlowEntry* e, uint64_t now_tsc) {
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4)) return true;  // NAT44 and the firewall: IPv6 is routed as it is
  uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, meta->l3_offset);
  const uint32_t seg_left = m->data_len - meta->l3_offset;
  uint16_t owner = 0;
  if (!snap.links[link].nat) {
    if (!snap.links[link].firewall) return true;
    const FwOut f = firewall_outbound(w, snap, link, ip, seg_left, true, now_tsc, &owner);
    if (f == FwOut::elsewhere) {
      hand_to_owner(w, m, meta, e, owner);
      return false;
    }
    if (f == FwOut::ok || f == FwOut::untracked) return true;
    drop_packet(w, m, 0, firewall_out_drop_reason(f));
    return false;
  }
  NatSession* s = nullptr;
  const NatOut o = nat_outbound_session(w, snap, link, ip, seg_left, true, now_tsc, &s, &owner);
  if (o == NatOut::elsewhere) {
    hand_to_owner(w, m, meta, e, owner);
    return false;
  }
  if (o != NatOut::ok) {
    drop_packet(w, m, 0, nat_out_drop_reason(o));
    return false;
  }
  nat_outbound_rewrite(ip, *s, snap.links[link].own_ip);
  std::memcpy(meta->src.data(), ip + 12, 4);  // meta says what leaves, as the fast lane's fill_meta does
  if (meta->proto != IPPROTO_ICMP) meta->sport = s->ext_port;
  return true;
}

// VLAN strip, Ethernet rewrite to route `r`, the flow entry's totals (the worker's own entry: plain adds), send
// (as fragments when over the link's MTU).
inline void send_rewritten(WorkerContext& w, const DataplaneSnapshot& snap, const LinkRoute r, rte_mbuf* m,
                           PacketMeta* meta, FlowEntry* e, uint64_t now_tsc) {
  strip_vlans(m, meta);
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), r.eth, sizeof r.eth);
  if (e != nullptr) {
    e->packets++;
    e->bytes += m->pkt_len;
  }
  if (meta->l3_len <= snap.links[meta->link].mtu) {
    send_on_route(w, snap, r, meta->link, m, now_tsc);
    return;
  }
  rte_mbuf* frags[kMaxFragments];  // over the MTU, DF clear: send_check let it through to be fragmented here
  const uint16_t n = ipv4_fragment_frame(w, m, snap.links[meta->link].mtu, frags);
  for (uint16_t i = 0; i < n; i++) send_on_route(w, snap, r, meta_of(frags[i])->link, frags[i], now_tsc);
}

// Whether the packet goes through the overlay on its link: its class's path there is the overlay (to a hub), or
// it is for a site peer's LAN, which only the tunnel reaches (a site peer takes nothing else: overlay paths of
// other traffic leave direct, as the peer would refuse it).
inline bool sealed_to_peer(const DataplaneSnapshot& snap, const PacketMeta* meta) {
  if (!snap.overlay.site) return snap.steering.cls[meta->class_id].via_overlay(meta->link);
  return meta->l3 == static_cast<uint8_t>(L3::ipv4) && overlay_routes_to(snap.overlay, ipv4_of(meta->dst));
}

}  // namespace

void lan_send_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                    FlowEntry* const* entry, uint64_t now_tsc) {
  const RouteTable& routes = current_routes(w, snap);
  OverlayBatch overlay;
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    PacketMeta* meta = meta_of(m);
    if (meta->link < snap.n_links && sealed_to_peer(snap, meta)) {
      lan_overlay_stage(w, snap, routes, m, entry[i], now_tsc, overlay);
      continue;
    }
    switch (send_check(snap, routes, m, meta)) {
      case Send::sent:
        break;
      case Send::no_usable_link:
        w.counters.class_no_link[meta->class_id].inc();
        drop_packet(w, m, 0, DropReason::no_usable_link);
        continue;
      case Send::no_neighbor:
        drop_packet(w, m, 0, DropReason::no_neighbor);
        continue;
      case Send::ttl_expired:  // back out the LAN port, on the VLAN it came in on
        ttl_expired_reply(w, m, meta, 0, arrival_address(snap, meta), 0, snap.lan_mac, now_tsc);
        continue;
      case Send::too_big_df:  // IPv6 too (no arrival address: counted, no ICMPv6 packet too big yet)
        frag_needed_reply(w, m, meta, 0, arrival_address(snap, meta), snap.links[meta->link].mtu, snap.lan_mac,
                          now_tsc);
        continue;
      case Send::too_big_nodf:
        drop_packet(w, m, 0, DropReason::too_big_nodf);
        continue;
    }
    const uint8_t link = meta->link;
    if (meta->proto == IPPROTO_TCP && snap.links[link].mss_max != 0 &&
        tcp_mss_clamp_packet(m, meta, snap.links[link].mss_max))
      w.counters.mss_clamped.inc();
    if (!wan_session(w, snap, m, meta, link, entry[i], now_tsc)) continue;
    send_rewritten(w, snap, routes.route[meta->class_id][link], m, meta, entry[i], now_tsc);
  }
  lan_overlay_flush(w, snap, routes, overlay, now_tsc);
}

void lan_send_handed(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf* m, uint64_t now_tsc) {
  PacketMeta* meta = meta_of(m);
  const RouteTable& routes = current_routes(w, snap);
  // The snapshot may have changed since the other worker checked the route.
  if (meta->link >= snap.n_links || routes.route[meta->class_id][meta->link].how == LinkRoute::kNoNeighbor) {
    drop_packet(w, m, 0, DropReason::no_usable_link);
    return;
  }
  if (!wan_session(w, snap, m, meta, meta->link, nullptr, now_tsc)) return;  // ours now: never handed on again
  send_rewritten(w, snap, routes.route[meta->class_id][meta->link], m, meta, nullptr, now_tsc);
}

}  // namespace wansteer
