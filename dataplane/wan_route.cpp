// General path from a WAN link: probe replies and DHCP replies to control, the link's own address (ICMP echo), on a
// NAT link the session (translated back, handed to the worker that owns it, or dropped: the inbound firewall), then
// the route to the LAN: destination subnet, spoofing check, on a routed link the firewall (routed_firewall.hpp),
// neighbour MAC, TTL, TCP SYN MSS clamping to the link's MTU, the subnet's VLAN tag, rewrite, tx.
#include <rte_hash.h>
#include <rte_icmp.h>

#include "dataplane/frame_edit.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/hop_limit.hpp"
#include "dataplane/icmp_error.hpp"
#include "dataplane/lan_deliver.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/nat_handoff.hpp"
#include "dataplane/nat_inbound.hpp"
#include "dataplane/probe_ids.hpp"
#include "dataplane/routed_firewall.hpp"
#include "dataplane/rx_timestamp.hpp"
#include "dataplane/tcp_mss.hpp"

namespace wansteer {
namespace {

enum class WanIn : uint8_t {
  to_lan,
  arp,
  probe_reply,
  echo_reply,
  not_for_us,
  no_route,
  martian,
  resolve,
  no_session,
  unsolicited,
  untranslatable,
  handoff,
  dhcp,
  forward_denied,
  nat_full,
  fw_no_session,
  fw_untracked,
  overlay
};

// The identifier of an ICMP echo reply is one of the probes': other echo replies to the link's address answer
// LAN hosts' pings through NAT.
inline bool is_probe_icmp_id(const rte_mbuf* m, const PacketMeta* meta) {
  if (meta->l4_offset + 8u > m->data_len) return false;
  const uint8_t* id = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta->l4_offset + 4);
  return probe_slot_of_icmp_id(static_cast<uint16_t>((id[0] << 8) | id[1])).has_value();
}

// A reply to one of control's probes: ICMP echo reply, or UDP from a STAMP reflector to a probe port.
inline bool is_probe_reply(const rte_mbuf* m, const PacketMeta* meta) {
  if (meta->flags & PacketMeta::kFlagFragment) return false;
  if (meta->proto == IPPROTO_ICMP) return meta->icmp_type == RTE_IP_ICMP_ECHO_REPLY && is_probe_icmp_id(m, meta);
  return meta->proto == IPPROTO_UDP && is_probe_port(meta->dport);
}

// A DHCP server's reply (UDP 67 -> 68): before a lease it is addressed to no address of ours yet (broadcast, or the
// offered one), so it is recognised by its ports alone.
inline bool is_dhcp_reply(const PacketMeta* meta) {
  return meta->proto == IPPROTO_UDP && !(meta->flags & PacketMeta::kFlagFragment) && meta->sport == 67 &&
         meta->dport == 68;
}

// A datagram to the overlay's WireGuard port (opened or refused by wan_overlay_receive, which checks its source).
inline bool is_overlay_datagram(const OverlayConfig& ov, const PacketMeta* meta) {
  return ov.enabled && meta->proto == IPPROTO_UDP && meta->dport == ov.local_port &&
         !(meta->flags & PacketMeta::kFlagFragment) && meta->l3_offset == kOverlayEthLen;
}

// A routed link's firewall verdict on a packet to a LAN host (routed_firewall.hpp); `to_lan` lets it on.
inline WanIn firewall_verdict(FwIn v) {
  switch (v) {
    case FwIn::ok:
      return WanIn::to_lan;
    case FwIn::no_session:
      return WanIn::fw_no_session;
    case FwIn::untracked:
      return WanIn::fw_untracked;
    case FwIn::denied:
      return WanIn::forward_denied;
    case FwIn::elsewhere:
      return WanIn::handoff;
  }
  return WanIn::fw_untracked;
}

// What to do with one parsed packet from link L; for `to_lan`, *ne is the LAN host's neighbour entry, for
// `handoff`, *owner the worker whose NAT session it may belong to. An echo request to the link's address is
// turned into its reply in place.
inline WanIn classify_wan(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, PacketMeta* meta,
                          const NeighborTable::Entry** ne, uint16_t* owner, uint64_t now_tsc) {
  const LinkConfig& L = snap.links[link];
  if (meta->l3 == static_cast<uint8_t>(L3::arp)) return WanIn::arp;
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4)) return WanIn::no_route;  // no IPv6 routing towards the LAN yet
  if (L.dhcp && is_dhcp_reply(meta)) return WanIn::dhcp;
  uint32_t dst = ipv4_of(meta->dst);
  if (dst == L.own_ip) {
    if (is_overlay_datagram(snap.overlay, meta)) return WanIn::overlay;  // the edge's own tunnel: before NAT
    if (is_probe_reply(m, meta)) return WanIn::probe_reply;
    if (icmp_echo_reply_in_place(m, meta, L.own_mac)) return WanIn::echo_reply;
    if (!L.nat) return WanIn::not_for_us;
    switch (nat_inbound(w, snap, link, m, meta, now_tsc, owner)) {
      case NatIn::ok:
        dst = ipv4_of(meta->dst);
        break;
      case NatIn::no_session:
        return WanIn::no_session;
      case NatIn::untranslatable:
        return WanIn::untranslatable;
      case NatIn::elsewhere:
        return WanIn::handoff;
      case NatIn::denied:
        return WanIn::forward_denied;
      case NatIn::full:
        return WanIn::nat_full;
    }
  } else if (L.nat && lan_subnet_of(snap, dst) >= 0) {
    return WanIn::unsolicited;  // default deny: through a NAT link only replies to the LAN's sessions come in
  }
  const int subnet = lan_subnet_of(snap, dst);
  if (subnet < 0 || dst == snap.lan[subnet].own_ip) return WanIn::no_route;
  // Spoofed: our LAN's addresses never come from a WAN.
  if (lan_subnet_of(snap, ipv4_of(meta->src)) >= 0) return WanIn::martian;
  // A routed link: default deny towards the LAN too (unless `firewall: false`), but nothing to translate back.
  if (L.firewall)
    if (const WanIn v = firewall_verdict(firewall_inbound(w, snap, link, m, meta, now_tsc, owner)); v != WanIn::to_lan)
      return v;
  *ne = lan_neighbor_of(snap, dst);
  return *ne == nullptr ? WanIn::resolve : WanIn::to_lan;
}

// TTL (a time exceeded from the link's address back out the link when it runs out), the SYN's MSS (so the LAN
// host's replies fit the link too), the subnet's VLAN tag and the LAN host's MAC, then tx on the LAN port. A host
// not resolved yet (`ne` null): the packet, ready but for its Ethernet header, goes to control, which holds it
// until the host answers ARP.
inline void send_to_lan(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t pi, rte_mbuf* m, PacketMeta* meta,
                        const NeighborTable::Entry* ne, uint64_t now_tsc) {
  if (!ipv4_decrement_ttl(m, meta->l3_offset)) {
    const LinkConfig& L = snap.links[pi - 1];
    const LanSubnet& sn = snap.lan[ne != nullptr ? ne->subnet : lan_subnet_of(snap, ipv4_of(meta->dst))];
    ttl_expired_reply(w, m, meta, pi, L.own_ip, sn.network | ~sn.mask, L.own_mac, now_tsc);
    return;
  }
  const uint16_t mss_max = snap.links[pi - 1].mss_max;
  if (meta->proto == IPPROTO_TCP && mss_max != 0 && tcp_mss_clamp_packet(m, meta, mss_max))
    w.counters.mss_clamped.inc();
  if (ne == nullptr) {
    hand_to_control(w, m, pi, PacketMeta::kToControlResolve);
    return;
  }
  lan_deliver(w, snap, pi, m, meta, *ne);
}

}  // namespace

void wan_route_burst(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n,
                     uint64_t now_tsc) {
  const uint8_t pi = static_cast<uint8_t>(link + 1);
  rte_mbuf* overlay[kBurst];
  uint16_t n_overlay = 0;
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    PacketMeta* meta = meta_of(m);
    const NeighborTable::Entry* ne = nullptr;
    uint16_t owner = 0;
    switch (classify_wan(w, snap, link, m, meta, &ne, &owner, now_tsc)) {
      case WanIn::to_lan:
      case WanIn::resolve:
        send_to_lan(w, snap, pi, m, meta, ne, now_tsc);
        break;
      case WanIn::arp:
        hand_arp_to_control(w, m, pi, now_tsc);
        break;
      case WanIn::probe_reply:
        set_rx_tsc(m, now_tsc);
        hand_to_control(w, m, pi, PacketMeta::kToControlProbe);
        break;
      case WanIn::echo_reply:
        w.counters.icmp_echo_replies_sent.inc();
        tx_enqueue(w, pi, m);
        break;
      case WanIn::not_for_us:
        drop_packet(w, m, pi, DropReason::not_for_us);
        break;
      case WanIn::no_route:
        drop_packet(w, m, pi, DropReason::no_route);
        break;
      case WanIn::martian:
        drop_packet(w, m, pi, DropReason::martian_source);
        break;
      case WanIn::no_session:
        drop_packet(w, m, pi, DropReason::inbound_no_session);
        break;
      case WanIn::unsolicited:
        drop_packet(w, m, pi, DropReason::inbound_unsolicited);
        break;
      case WanIn::untranslatable:
        drop_packet(w, m, pi, DropReason::nat_untranslatable);
        break;
      case WanIn::forward_denied:
        drop_packet(w, m, pi, DropReason::inbound_forward_denied);
        break;
      case WanIn::nat_full:
        drop_packet(w, m, pi, DropReason::nat_table_full);
        break;
      case WanIn::fw_no_session:
        drop_packet(w, m, pi, DropReason::firewall_no_session);
        break;
      case WanIn::fw_untracked:
        drop_packet(w, m, pi, DropReason::firewall_untracked);
        break;
      case WanIn::handoff:
        nat_handoff_stage(w, owner, m);
        break;
      case WanIn::dhcp:
        hand_to_control(w, m, pi, PacketMeta::kToControlDhcp);
        break;
      case WanIn::overlay:
        overlay[n_overlay++] = m;
        if (n_overlay == kBurst) {
          wan_overlay_receive(w, snap, link, overlay, n_overlay);
          n_overlay = 0;
        }
        break;
    }
  }
  if (n_overlay != 0) wan_overlay_receive(w, snap, link, overlay, n_overlay);
}

}  // namespace wansteer
