// parse_burst: validates Ethernet/VLAN/ARP/IPv4/IPv6/L4 headers of each frame once and fills its PacketMeta.
// Only the first mbuf segment is read; headers that cross it count as truncated.
#include "dataplane/parse.hpp"

#include <cstring>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include <nmmintrin.h>

#include "dataplane/packet_meta.hpp"

namespace wansteer {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;

constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Ah = 51;
constexpr uint8_t kIpv6NoNext = 59;
constexpr uint8_t kIpv6DestOpts = 60;
constexpr uint32_t kMaxIpv6Extensions = 8;

constexpr uint32_t kArpIpv4Len = 28;  // IPv4-over-Ethernet ARP body

// Parses the L4 header found at [pos, lim) inside the IP payload that ends at `end` (lim <= end: the
// part of the payload inside the first segment). ICMP means ICMP for IPv4 and ICMPv6 for IPv6.
inline bool parse_l4(const uint8_t* p, uint32_t pos, uint32_t lim, uint32_t end, uint8_t icmp_proto, PacketMeta* meta,
                     DropReason* reason) {
  const uint32_t avail = lim - pos;
  meta->l4_offset = static_cast<uint16_t>(pos);
  switch (meta->proto) {
    case kProtoTcp: {
      if (avail < 20) {
        *reason = DropReason::truncated_l4;
        return false;
      }
      const uint32_t hl = (p[pos + 12] >> 4) * 4u;
      if (hl < 20 || hl > end - pos) {
        *reason = DropReason::bad_tcp_header_length;
        return false;
      }
      if (hl > avail) {  // options cross the first segment
        *reason = DropReason::truncated_l4;
        return false;
      }
      meta->sport = wire_be16(p + pos);
      meta->dport = wire_be16(p + pos + 2);
      return true;
    }
    case kProtoUdp:
      if (avail < 8) {
        *reason = DropReason::truncated_l4;
        return false;
      }
      meta->sport = wire_be16(p + pos);
      meta->dport = wire_be16(p + pos + 2);
      return true;
    default:
      if (meta->proto == icmp_proto) {
        if (avail < 4) {
          *reason = DropReason::truncated_l4;
          return false;
        }
        meta->icmp_type = p[pos];
      }
      return true;  // other upper layers: nothing we need from them
  }
}

// A correct IPv4 header's one's-complement sum is all ones. Without options (the usual 20 bytes) the sum is
// taken over five 32-bit words and folded, a handful of instructions where rte_raw_cksum's generic loop over
// 16-bit words showed up in parse's profile; both fold with end-around carry, so they agree on every header.
inline bool ipv4_header_sums_to_ones(const uint8_t* ip, uint32_t ihl) {
  if (ihl != 20) return rte_raw_cksum(ip, ihl) == 0xffff;
  // Word by word (not one memcpy into an array: GCC bounced that through the stack, a store-forward per word).
  auto word = [ip](int i) {
    uint32_t v;
    std::memcpy(&v, ip + 4 * i, 4);
    return uint64_t{v};
  };
  uint64_t s = word(0) + word(1) + word(2) + word(3) + word(4);
  s = (s & 0xffffffffu) + (s >> 32);
  s = (s & 0xffffffffu) + (s >> 32);
  uint32_t t = static_cast<uint32_t>((s & 0xffff) + (s >> 16));
  t = (t & 0xffff) + (t >> 16);
  t = (t & 0xffff) + (t >> 16);
  return t == 0xffff;
}

inline bool parse_ipv4(const uint8_t* p, uint32_t off, uint32_t seg_len, uint32_t frame_len, PacketMeta* meta,
                       DropReason* reason) {
  if (off + 20 > seg_len) {
    *reason = DropReason::truncated_ipv4;
    return false;
  }
  const uint8_t* ip = p + off;
  if ((ip[0] >> 4) != 4) {
    *reason = DropReason::bad_ipv4_version;
    return false;
  }
  const uint32_t ihl = (ip[0] & 0x0f) * 4u;
  if (ihl < 20 || off + ihl > seg_len) {
    *reason = DropReason::bad_ipv4_header_length;
    return false;
  }
  const uint32_t total = wire_be16(ip + 2);
  // Ethernet may pad short frames after the IP packet, so only an upper bound against the frame.
  if (total < ihl || off + total > frame_len) {
    *reason = DropReason::bad_ipv4_total_length;
    return false;
  }
  if (!ipv4_header_sums_to_ones(ip, ihl)) {
    *reason = DropReason::bad_ipv4_checksum;
    return false;
  }
  meta->l3 = static_cast<uint8_t>(L3::ipv4);
  meta->l3_len = static_cast<uint16_t>(total);
  meta->dscp = ip[1] >> 2;
  meta->proto = ip[9];
  std::memcpy(meta->src.data(), ip + 12, 4);
  std::memcpy(meta->dst.data(), ip + 16, 4);
  const uint16_t frag = wire_be16(ip + 6);
  const bool more = frag & 0x2000;
  const uint16_t frag_off = frag & 0x1fff;
  if (more || frag_off != 0) meta->flags |= PacketMeta::kFlagFragment;
  if (frag_off != 0) {  // no L4 header in this fragment
    meta->flags |= PacketMeta::kFlagLaterFragment;
    return true;
  }
  const uint32_t end = off + total;
  const uint32_t lim = end < seg_len ? end : seg_len;
  return parse_l4(p, off + ihl, lim, end, kProtoIcmp, meta, reason);
}

inline bool parse_ipv6(const uint8_t* p, uint32_t off, uint32_t seg_len, uint32_t frame_len, PacketMeta* meta,
                       DropReason* reason) {
  if (off + 40 > seg_len) {
    *reason = DropReason::truncated_ipv6;
    return false;
  }
  const uint8_t* ip = p + off;
  if ((ip[0] >> 4) != 6) {
    *reason = DropReason::bad_ipv6_version;
    return false;
  }
  const uint32_t payload = wire_be16(ip + 4);
  if (off + 40 + payload > frame_len) {
    *reason = DropReason::bad_ipv6_payload_length;
    return false;
  }
  meta->l3 = static_cast<uint8_t>(L3::ipv6);
  // A jumbogram-sized payload would overflow l3_len; saturate (only multi-segment frames can get there).
  meta->l3_len = static_cast<uint16_t>(40 + payload > 0xffff ? 0xffff : 40 + payload);
  const uint8_t tclass = static_cast<uint8_t>(((ip[0] & 0x0f) << 4) | (ip[1] >> 4));
  meta->dscp = tclass >> 2;
  std::memcpy(meta->src.data(), ip + 8, 16);
  std::memcpy(meta->dst.data(), ip + 24, 16);

  const uint32_t end = off + 40 + payload;
  const uint32_t lim = end < seg_len ? end : seg_len;
  uint32_t pos = off + 40;
  uint8_t nh = ip[6];
  for (uint32_t n_ext = 0;; ++n_ext) {
    uint32_t ext_len;
    if (nh == kIpv6HopByHop || nh == kIpv6Routing || nh == kIpv6DestOpts || nh == kIpv6Ah || nh == kIpv6Fragment) {
      if (n_ext == kMaxIpv6Extensions || pos + 8 > lim) {  // every extension header is at least 8 bytes
        *reason = DropReason::bad_ipv6_extension;
        return false;
      }
      if (nh == kIpv6Fragment)
        ext_len = 8;
      else if (nh == kIpv6Ah)
        ext_len = (p[pos + 1] + 2u) * 4u;
      else
        ext_len = (p[pos + 1] + 1u) * 8u;
      if (pos + ext_len > lim) {
        *reason = DropReason::bad_ipv6_extension;
        return false;
      }
    } else {
      break;
    }
    const uint8_t cur = nh;
    nh = p[pos];
    if (cur == kIpv6Fragment) {
      const uint16_t frag = wire_be16(p + pos + 2);
      const uint16_t frag_off = frag >> 3;
      if ((frag & 1) || frag_off != 0) meta->flags |= PacketMeta::kFlagFragment;
      if (frag_off != 0) {  // later fragment: the rest is payload, not headers
        meta->flags |= PacketMeta::kFlagLaterFragment;
        meta->proto = nh;
        return true;
      }
    }
    pos += ext_len;
  }
  meta->proto = nh;
  if (nh == kIpv6NoNext) return true;
  return parse_l4(p, pos, lim, end, kProtoIcmpv6, meta, reason);
}

// IPv6 (and ARP) flows. CRC32C over 8-byte words with SSE4.2: two short independent chains (source,
// destination) so the latency is a few instructions, not one 4-byte step per word of a 36-byte run.
inline uint32_t flow_hash_of(const PacketMeta& m) {
  uint64_t s0, s1, d0, d1;
  std::memcpy(&s0, m.src.data(), 8);
  std::memcpy(&s1, m.src.data() + 8, 8);
  std::memcpy(&d0, m.dst.data(), 8);
  std::memcpy(&d1, m.dst.data() + 8, 8);
  const uint64_t ports = (uint64_t{m.sport} << 24) | (uint64_t{m.dport} << 8) | m.proto;
  const uint64_t a = _mm_crc32_u64(_mm_crc32_u64(kFlowHashSeed, s0), s1);
  const uint64_t b = _mm_crc32_u64(_mm_crc32_u64(~kFlowHashSeed, d0), d1);
  const uint64_t h = a ^ (b << 7) ^ (b >> 25) ^ 0x6;  // rotate b so swapped addresses hash differently
  return static_cast<uint32_t>(_mm_crc32_u64(h, ports));
}

}  // namespace

bool parse_packet(rte_mbuf* m, uint8_t port, DropReason* reason) {
  PacketMeta* meta = meta_of(m);
  std::memset(meta, 0, sizeof(*meta));
  meta->port = port;
  meta->class_id = kNoClass;
  meta->link = kNoLink;

  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t seg_len = rte_pktmbuf_data_len(m);
  const uint32_t frame_len = rte_pktmbuf_pkt_len(m);
  if (seg_len < 14) {
    *reason = DropReason::truncated_ethernet;
    return false;
  }
  uint16_t ethertype = wire_be16(p + 12);
  uint32_t off = 14;
  while (ethertype == kEtherVlan || ethertype == kEtherQinQ) {
    if (meta->vlan_count == 2) {
      *reason = DropReason::too_many_vlans;
      return false;
    }
    if (off + 4 > seg_len) {
      *reason = DropReason::truncated_vlan;
      return false;
    }
    const uint16_t vid = wire_be16(p + off) & 0x0fff;
    if (meta->vlan_count == 0)
      meta->vlan = vid;
    else
      meta->inner_vlan = vid;
    ++meta->vlan_count;
    ethertype = wire_be16(p + off + 2);
    off += 4;
  }
  meta->l3_offset = static_cast<uint16_t>(off);

  bool ok;
  switch (ethertype) {
    case kEtherIpv4:
      ok = parse_ipv4(p, off, seg_len, frame_len, meta, reason);
      break;
    case kEtherIpv6:
      ok = parse_ipv6(p, off, seg_len, frame_len, meta, reason);
      break;
    case kEtherArp:
      if (off + kArpIpv4Len > seg_len) {
        *reason = DropReason::truncated_arp;
        return false;
      }
      // Sender and target protocol addresses stand in for src/dst so ARP hashes and reads like IPv4.
      meta->l3 = static_cast<uint8_t>(L3::arp);
      meta->l3_len = kArpIpv4Len;
      std::memcpy(meta->src.data(), p + off + 14, 4);
      std::memcpy(meta->dst.data(), p + off + 24, 4);
      ok = true;
      break;
    default:
      *reason = DropReason::unsupported_ethertype;
      return false;
  }
  if (!ok) return false;
  // src, dst, sport, dport are contiguous in PacketMeta (36 bytes): one CRC over them, then the protocol.
  static_assert(offsetof(PacketMeta, dst) == offsetof(PacketMeta, src) + 16);
  static_assert(offsetof(PacketMeta, sport) == offsetof(PacketMeta, dst) + 16);
  static_assert(offsetof(PacketMeta, dport) == offsetof(PacketMeta, sport) + 2);
  if (meta->l3 == static_cast<uint8_t>(L3::ipv4)) {
    // The addresses come from the packet (source then destination, one 8-byte load), not from
    // meta->src/dst: those were just written by narrow stores after the memset, and an
    // 8-byte load spanning two pending stores cannot be store-forwarded (it stalled ~10 cycles per packet).
    uint64_t addrs;
    std::memcpy(&addrs, p + off + 12, 8);
    meta->flow_hash = ipv4_flow_hash(addrs, ipv4_flow_tail(meta->sport | uint32_t{meta->dport} << 16, meta->proto));
  } else {
    meta->flow_hash = flow_hash_of(*meta);
  }
  return true;
}

uint16_t parse_burst(rte_mbuf** pkts, uint16_t n, uint8_t port, WorkerCounters& counters) {
  uint16_t kept = 0;
  // Keep several frames' cache misses in flight while parsing: headers and metadata of frame i+kAhead
  // are requested while frame i is parsed.
  constexpr uint16_t kAhead = 4;
  for (uint16_t i = 0; i < n && i < kAhead; ++i) {
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    rte_prefetch0(meta_of(pkts[i]));
  }
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (i + kAhead < n) {
      rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kAhead], void*));
      rte_prefetch0(meta_of(pkts[i + kAhead]));
    }
    DropReason reason;
    if (parse_packet(m, port, &reason)) {
      pkts[kept++] = m;
    } else {
      counters.drop[static_cast<uint32_t>(reason)].inc();
      if (port < kMaxPorts) counters.port[port].drops.inc();
      rte_pktmbuf_free(m);
    }
  }
  return kept;
}

}  // namespace wansteer
