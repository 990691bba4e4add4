// General path, LAN stage 1: admission. Frames the policy does not admit (MAC, VLAN, QinQ, source) are dropped, ARP
// goes to control, pings to any of the edge's addresses are answered, packets for its other services, LAN-local
// and non-routable destinations are dropped; TCP/UDP to a NAT link's address is hairpinned (nat_hairpin.cpp);
// transit packets go on.
#include <rte_ether.h>
#include <rte_icmp.h>

#include <iterator>

#include "dataplane/frame_edit.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/nat_hairpin.hpp"

namespace wansteer {
namespace {

enum class Admit : uint8_t {
  transit,
  arp,
  echo_reply,
  hairpin,
  not_for_us,
  no_route,
  lan_hairpin,
  not_our_mac,
  lan_multicast,
  vlan_not_configured,
  qinq_tagged,
  source_not_in_subnet
};

// The frame-level checks: who it is addressed to, how it is tagged, and whether its source may use that VLAN.
// Without them a hostile host reaches another class (and its links) by tagging or addressing frames its own way.
inline Admit admit_frame(const DataplaneSnapshot& snap, const rte_mbuf* m, const PacketMeta* meta) {
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  const bool arp = meta->l3 == static_cast<uint8_t>(L3::arp);
  if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
    if (!arp) return Admit::lan_multicast;  // ARP is the only broadcast the edge handles on the LAN
  } else if (!rte_is_same_ether_addr(&eth->dst_addr, &snap.lan_mac)) {
    return Admit::not_our_mac;  // seen only by a port in promiscuous mode: not ours to route
  }
  if (meta->vlan_count > 1) return Admit::qinq_tagged;
  if (!lan_vlan_configured(snap, meta->vlan)) return Admit::vlan_not_configured;
  if (arp) return Admit::arp;
  if (meta->l3 == static_cast<uint8_t>(L3::ipv4) && !lan_source_admitted(snap, meta->vlan, ipv4_of(meta->src)))
    return Admit::source_not_in_subnet;
  return Admit::transit;
}

// Addresses that a router never forwards off the LAN (multicast, limited broadcast, link-local).
inline bool not_routable_v4(uint32_t dst) { return dst >= 0xE0000000u; }
inline bool not_routable_v6(const std::array<uint8_t, 16>& d) {
  return d[0] == 0xff || (d[0] == 0xfe && (d[1] & 0xc0) == 0x80);
}

// What to do with one parsed LAN packet. An echo request to the edge is turned into its reply in place; for
// `hairpin`, meta->link is the NAT link whose address the packet is for.
inline Admit admit(const DataplaneSnapshot& snap, rte_mbuf* m, PacketMeta* meta) {
  if (const Admit a = admit_frame(snap, m, meta); a != Admit::transit) return a;
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4)) return not_routable_v6(meta->dst) ? Admit::no_route : Admit::transit;
  const uint32_t dst = ipv4_of(meta->dst);
  // The edge's own addresses, its WAN links' too: answered here, never given a flow (so the fast lane, which takes
  // only cached flows, cannot route them to an ISP either).
  if (is_own_lan_ip(snap, dst) || is_own_wan_ip(snap, dst)) {
    if (icmp_echo_reply_in_place(m, meta, snap.lan_mac)) return Admit::echo_reply;
    meta->link = nat_hairpin_link(snap, meta);
    return meta->link != kNoLink ? Admit::hairpin : Admit::not_for_us;
  }
  if (not_routable_v4(dst)) return Admit::no_route;
  if (lan_subnet_of(snap, dst) >= 0) return Admit::lan_hairpin;
  return Admit::transit;
}

// The drop reason of each admission outcome that drops, indexed by Admit.
constexpr DropReason kDropOf[] = {DropReason::count_,        DropReason::count_,
                                  DropReason::count_,        DropReason::count_,
                                  DropReason::not_for_us,    DropReason::no_route,
                                  DropReason::lan_hairpin,   DropReason::not_our_mac,
                                  DropReason::lan_multicast, DropReason::vlan_not_configured,
                                  DropReason::qinq_tagged,   DropReason::source_not_in_subnet};
static_assert(std::size(kDropOf) == static_cast<size_t>(Admit::source_not_in_subnet) + 1);

}  // namespace

uint16_t lan_admit_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                         uint64_t now_tsc) {
  uint16_t nt = 0;
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    PacketMeta* meta = meta_of(m);
    const Admit a = admit(snap, m, meta);
    switch (a) {
      case Admit::transit:
        // Start loading the flow's cache line now: admission of the rest hides most of the miss.
        w.flows->prefetch(meta->flow_hash);
        pkts[nt++] = m;
        break;
      case Admit::arp:
        hand_arp_to_control(w, m, 0, now_tsc);
        break;
      case Admit::echo_reply:
        w.counters.icmp_echo_replies_sent.inc();
        tx_enqueue(w, 0, m);
        break;
      case Admit::hairpin:
        nat_hairpin(w, snap, meta->link, m, meta, now_tsc);
        break;
      default:
        drop_packet(w, m, 0, kDropOf[static_cast<size_t>(a)]);
        break;
    }
  }
  return nt;
}

}  // namespace wansteer
