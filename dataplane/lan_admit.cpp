// General path, LAN stage 1: admission. ARP goes to control, pings to any of the edge's addresses are answered,
// packets for its other services, LAN-local and non-routable destinations are dropped; transit packets go on.
#include <rte_icmp.h>

#include "dataplane/frame_edit.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/lan_subnets.hpp"

namespace wansteer {
namespace {

enum class Admit : uint8_t { transit, arp, echo_reply, not_for_us, no_route, lan_hairpin };

// Addresses that a router never forwards off the LAN (multicast, limited broadcast, link-local).
inline bool not_routable_v4(uint32_t dst) { return dst >= 0xE0000000u; }
inline bool not_routable_v6(const std::array<uint8_t, 16>& d) {
  return d[0] == 0xff || (d[0] == 0xfe && (d[1] & 0xc0) == 0x80);
}

// What to do with one parsed LAN packet. An echo request to the edge is turned into its reply in place.
inline Admit admit(const DataplaneSnapshot& snap, rte_mbuf* m, PacketMeta* meta) {
  if (meta->l3 == static_cast<uint8_t>(L3::arp)) return Admit::arp;
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4)) return not_routable_v6(meta->dst) ? Admit::no_route : Admit::transit;
  const uint32_t dst = ipv4_of(meta->dst);
  // The edge's own addresses, its WAN links' too: answered here, never given a flow (so the fast lane, which takes
  // only cached flows, cannot route them to an ISP either).
  if (is_own_lan_ip(snap, dst) || is_own_wan_ip(snap, dst))
    return icmp_echo_reply_in_place(m, meta, snap.lan_mac) ? Admit::echo_reply : Admit::not_for_us;
  if (not_routable_v4(dst)) return Admit::no_route;
  if (lan_subnet_of(snap, dst) >= 0) return Admit::lan_hairpin;
  return Admit::transit;
}

}  // namespace

uint16_t lan_admit_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n) {
  uint16_t nt = 0;
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    PacketMeta* meta = meta_of(m);
    switch (admit(snap, m, meta)) {
      case Admit::transit:
        // Start loading the flow's cache line now: admission of the rest hides most of the miss.
        w.flows->prefetch(meta->flow_hash);
        pkts[nt++] = m;
        break;
      case Admit::arp:
        hand_to_control(w, m, 0, PacketMeta::kToControlArp);
        break;
      case Admit::echo_reply:
        w.counters.icmp_echo_replies_sent.inc();
        tx_enqueue(w, 0, m);
        break;
      case Admit::not_for_us:
        drop_packet(w, m, 0, DropReason::not_for_us);
        break;
      case Admit::no_route:
        drop_packet(w, m, 0, DropReason::no_route);
        break;
      case Admit::lan_hairpin:
        drop_packet(w, m, 0, DropReason::lan_hairpin);
        break;
    }
  }
  return nt;
}

}  // namespace wansteer
