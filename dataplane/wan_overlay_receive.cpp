// General path from a WAN link, the overlay's datagrams (issue 13): opened by the receiving stage
// (dataplane/overlay/overlay_decap.hpp), handshake messages handed to control, and the inner packets routed to the
// LAN host they are for: no NAT to undo (the hub translated), but the same checks as any packet from a WAN (a LAN
// destination, no LAN source, the host's neighbour entry, TTL), the SYN's MSS clamped to what the tunnel carries.
// Replies to control's path probes through the tunnel (dataplane/overlay/overlay_probe.hpp) go to control.
#include <rte_cycles.h>
#include <rte_ether.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/hop_limit.hpp"
#include "dataplane/lan_deliver.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/overlay/overlay_decap.hpp"
#include "dataplane/overlay/overlay_probe.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/rx_timestamp.hpp"
#include "dataplane/tcp_mss.hpp"

namespace wansteer {
namespace {

enum class InnerIn : uint8_t { to_lan, no_route, martian, resolve, ttl_expired, path_probe_reply };

constexpr uint16_t kInnerIpTcpHeaders = 40;

// Where an opened inner packet goes; for to_lan, *ne is its LAN host's neighbour entry.
inline InnerIn route_inner(const DataplaneSnapshot& snap, rte_mbuf* m, const PacketMeta* meta,
                           const NeighborTable::Entry** ne) {
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4)) return InnerIn::no_route;
  const uint32_t dst = ipv4_of(meta->dst);
  const int subnet = lan_subnet_of(snap, dst);
  if (subnet < 0) return InnerIn::no_route;
  if (dst == snap.lan[subnet].own_ip)
    return is_overlay_probe_reply(m, meta) ? InnerIn::path_probe_reply : InnerIn::no_route;
  if (lan_subnet_of(snap, ipv4_of(meta->src)) >= 0) return InnerIn::martian;
  // No time exceeded back through the tunnel: the hub's own hop already answered for the path before it.
  if (!ipv4_decrement_ttl(m, meta->l3_offset)) return InnerIn::ttl_expired;
  *ne = lan_neighbor_of(snap, dst);
  return *ne == nullptr ? InnerIn::resolve : InnerIn::to_lan;
}

// Opened inner packets (data at their IPv4 header) back into frames, parsed like any arrival on port pi, then to
// their LAN hosts.
void deliver_inner(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t pi, rte_mbuf** inner, uint16_t n,
                   uint16_t mss_max) {
  for (uint16_t i = 0; i < n; i++) {
    // decap stripped the outer headers: the headroom they had holds the new Ethernet header
    auto* eth = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_prepend(inner[i], RTE_ETHER_HDR_LEN));
    eth->ether_type = host_to_be16(RTE_ETHER_TYPE_IPV4);
  }
  n = parse_burst(inner, n, pi, w.counters);
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = inner[i];
    PacketMeta* meta = meta_of(m);
    const NeighborTable::Entry* ne = nullptr;
    switch (route_inner(snap, m, meta, &ne)) {
      case InnerIn::to_lan:
      case InnerIn::resolve:  // ready but for its Ethernet header: control holds it until the host answers ARP
        if (meta->proto == IPPROTO_TCP && tcp_mss_clamp_packet(m, meta, mss_max)) w.counters.mss_clamped.inc();
        if (ne == nullptr)
          hand_to_control(w, m, pi, PacketMeta::kToControlResolve);
        else
          lan_deliver(w, snap, pi, m, meta, *ne);
        break;
      case InnerIn::no_route:
        drop_packet(w, m, pi, DropReason::no_route);
        break;
      case InnerIn::martian:
        drop_packet(w, m, pi, DropReason::martian_source);
        break;
      case InnerIn::ttl_expired:
        drop_packet(w, m, pi, DropReason::ttl_expired);
        break;
      case InnerIn::path_probe_reply:
        // A few per second: reading the TSC here costs nothing that matters, and the RTT excludes the ring.
        set_rx_tsc(m, rte_rdtsc());
        hand_to_control(w, m, pi, PacketMeta::kToControlOverlayProbe);
        break;
    }
  }
}

}  // namespace

void wan_overlay_receive(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n) {
  const auto pi = static_cast<uint8_t>(link + 1);
  if (!w.overlay) {
    for (uint16_t i = 0; i < n; i++) drop_packet(w, pkts[i], pi, DropReason::overlay_crypto_failed);
    return;
  }
  rte_mbuf *inner[kBurst], *handshakes[kBurst];
  const OverlayDecapResult r =
      overlay_decap_burst(*w.overlay, snap.overlay, snap.links[link], pkts, n, inner, handshakes, w.counters, pi);
  for (uint16_t i = 0; i < r.handshakes; i++) hand_to_control(w, handshakes[i], pi, PacketMeta::kToControlOverlay);
  const uint16_t path_mtu = overlay_path_mtu(snap.overlay.inner_mtu, snap.links[link].mtu);
  deliver_inner(w, snap, pi, inner, r.inner, static_cast<uint16_t>(path_mtu - kInnerIpTcpHeaders));
}

}  // namespace wansteer
