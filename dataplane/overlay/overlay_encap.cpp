// Sealing inner packets into WireGuard transport messages in place, then the outer UDP/IPv4/Ethernet headers.
#include "dataplane/overlay/overlay_encap.hpp"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/overlay/transport.hpp"

namespace wansteer {
namespace {

enum class EncapOutcome : uint8_t { sealed, too_big, drop };

constexpr uint8_t kOuterTtl = 64;
constexpr uint8_t kEcnMask = 0x03, kEcnCe = 0x03, kEcnEct0 = 0x02;

// The inner packet's IPv4 total length after checking it, or 0 when it is not a whole IPv4 packet.
uint16_t inner_ipv4_length(const rte_mbuf* m) {
  if (m->data_len < sizeof(rte_ipv4_hdr)) return 0;
  const auto* ip = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*);
  const uint16_t total = be_to_host16(ip->total_length);
  if ((ip->version_ihl >> 4) != 4 || total < rte_ipv4_hdr_len(ip) || total > m->data_len ||
      rte_ipv4_hdr_len(ip) < sizeof(rte_ipv4_hdr))
    return 0;
  return total;
}

// Seals one packet (or says why not in *reason).
EncapOutcome encap_one(OverlayCore& core, const OverlayConfig& ov, const LinkConfig& link, const wg::TransportKeys* k,
                       uint16_t path_mtu, rte_mbuf* m, DropReason* reason) {
  if (m->nb_segs != 1) return *reason = DropReason::overlay_no_room, EncapOutcome::drop;
  const uint16_t len = inner_ipv4_length(m);
  if (len == 0) return *reason = DropReason::overlay_inner_malformed, EncapOutcome::drop;
  rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - len));
  if (len > path_mtu) return EncapOutcome::too_big;
  if (k == nullptr) return *reason = DropReason::overlay_no_key, EncapOutcome::drop;
  const auto sealed = static_cast<uint16_t>(wg::sealed_size(len));
  const auto grow = static_cast<uint16_t>(sealed - wg::kTransportHeaderSize - len);  // padding and tag
  if (rte_pktmbuf_headroom(m) < kOverlayHeadroom || rte_pktmbuf_tailroom(m) < grow)
    return *reason = DropReason::overlay_no_room, EncapOutcome::drop;
  uint64_t counter = 0;
  if (!core.lease.take(k->counter, &counter)) return *reason = DropReason::overlay_key_exhausted, EncapOutcome::drop;
  const uint8_t inner_ecn = rte_pktmbuf_mtod(m, const rte_ipv4_hdr*)->type_of_service & kEcnMask;
  auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kOverlayHeadroom));
  rte_pktmbuf_append(m, grow);  // tailroom checked above
  uint8_t* msg = frame + kOverlayOuterLen;
  size_t msg_len = 0;
  if (wg::seal_transport_at(core.aead, k->send_key, k->remote_index, counter, msg + wg::kTransportHeaderSize, len, msg,
                            sealed, &msg_len) != wg::SealResult::ok)
    return *reason = DropReason::overlay_crypto_failed, EncapOutcome::drop;
  overlay_encap_headers(ov, link, frame, static_cast<uint16_t>(msg_len), core.ip_id++,
                        inner_ecn == kEcnCe ? kEcnEct0 : inner_ecn);
  return EncapOutcome::sealed;
}

}  // namespace

void overlay_encap_headers(const OverlayConfig& ov, const LinkConfig& link, uint8_t* frame, uint16_t payload_len,
                           uint16_t ip_id, uint8_t tos) {
  auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
  eth->dst_addr = link.gateway_mac;
  eth->src_addr = link.own_mac;
  eth->ether_type = host_to_be16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(frame + kOverlayEthLen);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = tos;
  ip->total_length = host_to_be16(static_cast<uint16_t>(kOverlayIpLen + kOverlayUdpLen + payload_len));
  ip->packet_id = host_to_be16(ip_id);
  ip->fragment_offset = 0;
  ip->time_to_live = kOuterTtl;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = host_to_be32(link.own_ip);
  ip->dst_addr = host_to_be32(ov.hub_ip);
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(frame + kOverlayEthLen + kOverlayIpLen);
  udp->src_port = host_to_be16(ov.local_port);
  udp->dst_port = host_to_be16(ov.hub_port);
  udp->dgram_len = host_to_be16(static_cast<uint16_t>(kOverlayUdpLen + payload_len));
  udp->dgram_cksum = 0;
}

OverlayEncapResult overlay_encap_burst(OverlayCore& core, const OverlayConfig& ov, const LinkConfig& link,
                                       rte_mbuf** pkts, uint16_t n, rte_mbuf** out, rte_mbuf** too_big,
                                       WorkerCounters& c, uint8_t pi) {
  OverlayEncapResult r;
  const wg::TransportKeys* k = ov.keys.send.get();
  const uint16_t path_mtu = overlay_path_mtu(ov.inner_mtu, link.mtu);
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    if (!link.gateway_resolved) {
      overlay_drop(c, m, pi, DropReason::no_neighbor);
      continue;
    }
    DropReason reason = DropReason::overlay_no_room;
    switch (encap_one(core, ov, link, k, path_mtu, m, &reason)) {
      case EncapOutcome::sealed:
        out[r.sealed++] = m;
        break;
      case EncapOutcome::too_big:
        too_big[r.too_big++] = m;
        break;
      case EncapOutcome::drop:
        r.want_keys =
            r.want_keys || reason == DropReason::overlay_no_key || reason == DropReason::overlay_key_exhausted;
        overlay_drop(c, m, pi, reason);
        break;
    }
  }
  core.lease.end_burst();
  c.overlay_sealed.add(r.sealed);
  return r;
}

}  // namespace wansteer
