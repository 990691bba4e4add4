// General path, LAN stage 3 for classes whose path on their link goes through the WireGuard overlay (issue 13): the
// overlay's path MTU (fragmentation needed back to the sender for a DF packet too large), TTL, TCP SYN MSS clamped to
// what the tunnel carries, no NAT (the hub translates), the frame stripped to its IP packet; then per link, one
// sealing burst (dataplane/overlay/overlay_encap.hpp) and out on the class's route like a direct packet (meters,
// shaper, counted in class x link).
#include <rte_ip.h>

#include "dataplane/general_path.hpp"
#include "dataplane/hop_limit.hpp"
#include "dataplane/icmp_error.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/overlay/outer_destination.hpp"
#include "dataplane/overlay/overlay_encap.hpp"
#include "dataplane/route_send.hpp"
#include "dataplane/tcp_mss.hpp"

namespace wansteer {
namespace {

enum class OverlaySend : uint8_t { batched, no_neighbor, not_ipv4, ttl_expired, too_big_df, too_big_nodf };

constexpr uint16_t kIpTcpHeaders = 40;  // IPv4 and TCP headers without options: MTU - 40 is the MSS

// The edge's address on the LAN subnet the packet came from (source of the ICMP errors it gets back).
inline uint32_t overlay_arrival_address(const DataplaneSnapshot& snap, const PacketMeta* meta) {
  const int subnet = lan_subnet_of(snap, ipv4_of(meta->src));
  return subnet < 0 ? 0 : snap.lan[subnet].own_ip;
}

// Checks one packet for the tunnel over its link and readies it for sealing: TTL, MSS, the frame's headers gone.
inline OverlaySend overlay_prepare(const RouteTable& routes, rte_mbuf* m, PacketMeta* meta, uint16_t path_mtu,
                                   WorkerCounters& c) {
  if (routes.route[meta->class_id][meta->link].how == LinkRoute::kNoNeighbor) return OverlaySend::no_neighbor;
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4)) return OverlaySend::not_ipv4;
  const uint8_t* ip = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta->l3_offset);
  if (meta->l3_len > path_mtu) {  // before the TTL, as lan_send orders them: quoted as it came
    if (ip[8] <= 1) return OverlaySend::ttl_expired;
    // DF clear: the Linux wg interface would fragment; fragments here are chained mbufs the sealing stage cannot
    // take yet, so they are dropped and counted (TCP and most UDP applications send with DF).
    return (ip[6] & 0x40) != 0 ? OverlaySend::too_big_df : OverlaySend::too_big_nodf;
  }
  if (!ipv4_decrement_ttl(m, meta->l3_offset)) return OverlaySend::ttl_expired;
  if (meta->proto == IPPROTO_TCP && tcp_mss_clamp_packet(m, meta, static_cast<uint16_t>(path_mtu - kIpTcpHeaders)))
    c.mss_clamped.inc();
  return OverlaySend::batched;
}

// A sealed frame as egress and tx read it: one outer IPv4 header after an untagged Ethernet header.
inline void meta_as_sealed(rte_mbuf* m) {
  PacketMeta* meta = meta_of(m);
  meta->l3 = static_cast<uint8_t>(L3::ipv4);
  meta->l3_offset = kOverlayEthLen;
  meta->l4_offset = kOverlayEthLen + kOverlayIpLen;
  meta->l3_len = static_cast<uint16_t>(m->pkt_len - kOverlayEthLen);
  meta->vlan_count = 0;
  meta->vlan = meta->inner_vlan = 0;
}

// A copy of sealed frame m for the class's second overlay path, dup (duplicate:): the same WireGuard message (same
// counter: the hub keeps the first to arrive), outer headers of that link. Null when none can be made.
// to_alt: the copy goes to the site peer's other endpoint (OverlayConfig::alt_ip) instead.
inline rte_mbuf* duplicate_for(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf* m, uint8_t dup, bool to_alt) {
  if (m->pkt_len - kOverlayEthLen > snap.links[dup].mtu) return nullptr;
  rte_mbuf* copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
  if (copy == nullptr) return nullptr;
  auto* frame = rte_pktmbuf_mtod(copy, uint8_t*);
  const uint8_t tos = frame[kOverlayEthLen + 1];
  overlay_encap_headers(snap.overlay, snap.links[dup], frame, static_cast<uint16_t>(copy->pkt_len - kOverlayOuterLen),
                        w.overlay->ip_id++, tos);
  if (to_alt) overlay_set_destination(frame, snap.overlay.alt_ip, snap.overlay.alt_port);
  *meta_of(copy) = *meta_of(m);
  meta_of(copy)->link = dup;
  return copy;
}

// Sends sealed frame m on `link`, and its copy on the class's second overlay path when the class duplicates.
inline void send_sealed(WorkerContext& w, const DataplaneSnapshot& snap, const RouteTable& routes, uint8_t link,
                        rte_mbuf* m, uint64_t now_tsc) {
  meta_as_sealed(m);
  const uint8_t cls = meta_of(m)->class_id;
  const uint8_t dup = snap.steering.cls[cls].dup_link;
  const bool other_link =
      dup != kNoLink && dup != link && dup < snap.n_links && routes.route[cls][dup].how != LinkRoute::kNoNeighbor;
  // No second link of ours, but the site peer was heard on two of its own: the copy goes to its other endpoint.
  const bool other_end = !other_link && snap.overlay.alt_ip != 0 && ((snap.overlay.dup_classes >> cls) & 1u) != 0;
  if (other_link || other_end) {
    const uint8_t out = other_link ? dup : link;
    if (rte_mbuf* copy = duplicate_for(w, snap, m, out, other_end)) {
      w.counters.overlay_duplicates.inc();
      send_on_route(w, snap, routes.route[cls][out], out, copy, now_tsc);
    } else {
      w.counters.overlay_duplicates_skipped.inc();
    }
  }
  send_on_route(w, snap, routes.route[cls][link], link, m, now_tsc);
}

}  // namespace

void lan_overlay_stage(WorkerContext& w, const DataplaneSnapshot& snap, const RouteTable& routes, rte_mbuf* m,
                       FlowEntry* e, uint64_t now_tsc, OverlayBatch& batch) {
  PacketMeta* meta = meta_of(m);
  const uint16_t path_mtu = overlay_path_mtu(snap.overlay.inner_mtu, snap.links[meta->link].mtu);
  switch (overlay_prepare(routes, m, meta, path_mtu, w.counters)) {
    case OverlaySend::batched:
      break;
    case OverlaySend::no_neighbor:
      drop_packet(w, m, 0, DropReason::no_neighbor);
      return;
    case OverlaySend::not_ipv4:
      drop_packet(w, m, 0, DropReason::overlay_not_ipv4);
      return;
    case OverlaySend::ttl_expired:
      ttl_expired_reply(w, m, meta, 0, overlay_arrival_address(snap, meta), 0, snap.lan_mac, now_tsc);
      return;
    case OverlaySend::too_big_df:
      frag_needed_reply(w, m, meta, 0, overlay_arrival_address(snap, meta), path_mtu, snap.lan_mac, now_tsc);
      return;
    case OverlaySend::too_big_nodf:
      drop_packet(w, m, 0, DropReason::too_big_nodf);
      return;
  }
  rte_pktmbuf_adj(m, meta->l3_offset);
  if (e != nullptr) {
    e->packets++;
    e->bytes += meta->l3_len;
  }
  batch.pkts[batch.n++] = m;
}

void lan_overlay_flush(WorkerContext& w, const DataplaneSnapshot& snap, const RouteTable& routes, OverlayBatch& batch,
                       uint64_t now_tsc) {
  if (batch.n == 0) return;
  if (!w.overlay || snap.overlay.hub_ip == 0) {  // no endpoint: a site peer not heard from yet (and so no keys)
    const DropReason why = w.overlay ? DropReason::overlay_no_key : DropReason::overlay_crypto_failed;
    for (uint16_t i = 0; i < batch.n; i++) drop_packet(w, batch.pkts[i], 0, why);
    batch.n = 0;
    return;
  }
  rte_mbuf *mine[kBurst], *out[kBurst], *too_big[kBurst];
  for (uint8_t link = 0; link < snap.n_links; link++) {
    uint16_t k = 0;
    for (uint16_t i = 0; i < batch.n; i++)
      if (meta_of(batch.pkts[i])->link == link) mine[k++] = batch.pkts[i];
    if (k == 0) continue;
    const OverlayEncapResult r =
        overlay_encap_burst(*w.overlay, snap.overlay, snap.links[link], mine, k, out, too_big, w.counters, 0);
    for (uint16_t i = 0; i < r.sealed; i++) send_sealed(w, snap, routes, link, out[i], now_tsc);
    // overlay_prepare checked the size against the same path MTU: none should come back, but none is lost either
    for (uint16_t i = 0; i < r.too_big; i++) drop_packet(w, too_big[i], 0, DropReason::too_big_df);
  }
  batch.n = 0;
}

}  // namespace wansteer
