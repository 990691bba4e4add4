// ICMP errors the edge originates (see icmp_error.hpp): eligibility, the message built in a fresh mbuf, the budget.
#include "dataplane/icmp_error.hpp"

#include <algorithm>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/lan_subnets.hpp"

namespace wansteer {
namespace {

constexpr uint16_t kIpHdrLen = 20;
constexpr uint16_t kIcmpHdrLen = 8;

// ICMP types that report errors (destination unreachable, source quench, redirect, time exceeded, parameter
// problem): never answered with another error, or two routers could bounce errors forever.
inline bool is_icmp_error_type(uint8_t type) { return type == 3 || type == 4 || type == 5 || type == 11 || type == 12; }

// Not a unique host: unspecified (0/8), loopback (127/8), multicast, reserved and limited broadcast (224/3).
inline bool not_unique_source(uint32_t ip) { return (ip >> 24) == 0 || (ip >> 24) == 127 || ip >= 0xE0000000u; }

}  // namespace

bool icmp_error_allowed(const rte_mbuf* m, const PacketMeta* meta, uint32_t dst_broadcast) {
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4) || (meta->flags & PacketMeta::kFlagLaterFragment)) return false;
  if (meta->proto == IPPROTO_ICMP && is_icmp_error_type(meta->icmp_type)) return false;
  const auto* eth = rte_pktmbuf_mtod(m, const rte_ether_hdr*);
  if (rte_is_multicast_ether_addr(&eth->dst_addr)) return false;  // group bit: broadcast included
  const uint32_t dst = ipv4_of(meta->dst);
  if (dst >= 0xE0000000u || (dst_broadcast != 0 && dst == dst_broadcast)) return false;
  return !not_unique_source(ipv4_of(meta->src));
}

rte_mbuf* icmp_error_build(const rte_mbuf* m, const PacketMeta* meta, uint8_t type, uint8_t code, uint32_t src_ip,
                           const rte_ether_addr& our_mac, uint16_t next_hop_mtu) {
  rte_mbuf* r = rte_pktmbuf_alloc(m->pool);
  if (r == nullptr) return nullptr;
  const uint16_t l2 = meta->l3_offset;
  // The quote: the IP header and as much of the rest as the packet holds, up to 576 bytes of error datagram.
  const uint32_t ip_avail = std::min<uint32_t>(meta->l3_len, rte_pktmbuf_pkt_len(m) - l2);
  const uint16_t quote =
      static_cast<uint16_t>(std::min<uint32_t>(ip_avail, kIcmpErrorMaxIpLen - kIpHdrLen - kIcmpHdrLen));
  const uint16_t ip_len = static_cast<uint16_t>(kIpHdrLen + kIcmpHdrLen + quote);
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(r, static_cast<uint16_t>(l2 + ip_len)));
  if (p == nullptr) {  // a pool whose buffers cannot hold 600 bytes
    rte_pktmbuf_free(r);
    return nullptr;
  }
  std::memcpy(p, rte_pktmbuf_mtod(m, const uint8_t*), l2);  // Ethernet and VLAN tags: back on the same VLAN
  auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
  rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
  rte_ether_addr_copy(&our_mac, &eth->src_addr);

  uint8_t* q = p + l2 + kIpHdrLen + kIcmpHdrLen;
  const void* from = rte_pktmbuf_read(m, l2, quote, q);  // copies into q when the quote spans segments
  if (from != q) std::memcpy(q, from, quote);

  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + l2);
  std::memset(ip, 0, kIpHdrLen);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->type_of_service = 0xc0;  // internetwork control, as routers send their own ICMP
  ip->total_length = host_to_be16(ip_len);
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_ICMP;
  ip->src_addr = host_to_be32(src_ip);
  std::memcpy(&ip->dst_addr, meta->src.data(), 4);
  ip->hdr_checksum = rte_ipv4_cksum(ip);

  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(p + l2 + kIpHdrLen);
  std::memset(icmp, 0, kIcmpHdrLen);  // the 4 "unused" bytes after the checksum stay zero for time exceeded
  icmp->icmp_type = type;
  icmp->icmp_code = code;
  icmp->icmp_seq_nb = host_to_be16(next_hop_mtu);  // RFC 1191: the second 16 bits of the "unused" word
  icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, kIcmpHdrLen + quote));
  return r;
}

namespace {

// Sends the error (type, code, next_hop_mtu) for m where allowed and the worker's budget has a token; m stays.
void send_icmp_error(WorkerContext& w, const rte_mbuf* m, const PacketMeta* meta, uint8_t pi, uint8_t type,
                     uint8_t code, uint16_t next_hop_mtu, uint32_t src_ip, uint32_t dst_broadcast,
                     const rte_ether_addr& our_mac, uint64_t now_tsc) {
  if (src_ip == 0 || !icmp_error_allowed(m, meta, dst_broadcast)) return;
  rte_mbuf* r = w.icmp_errors.take(now_tsc, rte_get_tsc_hz())
                    ? icmp_error_build(m, meta, type, code, src_ip, our_mac, next_hop_mtu)
                    : nullptr;
  if (r != nullptr) {
    tx_enqueue(w, pi, r);
    w.counters.icmp_errors_sent.inc();
  } else {
    w.counters.icmp_errors_suppressed.inc();  // over the budget, or no mbuf
  }
}

}  // namespace

void ttl_expired_reply(WorkerContext& w, rte_mbuf* m, const PacketMeta* meta, uint8_t pi, uint32_t src_ip,
                       uint32_t dst_broadcast, const rte_ether_addr& our_mac, uint64_t now_tsc) {
  send_icmp_error(w, m, meta, pi, kIcmpTimeExceeded, 0, 0, src_ip, dst_broadcast, our_mac, now_tsc);
  drop_packet(w, m, pi, DropReason::ttl_expired);
}

void frag_needed_reply(WorkerContext& w, rte_mbuf* m, const PacketMeta* meta, uint8_t pi, uint32_t src_ip, uint16_t mtu,
                       const rte_ether_addr& our_mac, uint64_t now_tsc) {
  send_icmp_error(w, m, meta, pi, kIcmpUnreachable, kIcmpFragNeeded, mtu, src_ip, 0, our_mac, now_tsc);
  drop_packet(w, m, pi, DropReason::too_big_df);
}

}  // namespace wansteer
