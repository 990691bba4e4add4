// Hop limits: the IPv4 TTL decrement with its header checksum update and the IPv6 hop limit, one formula each
// for the fast lane and the general path (unit-tested against RFC 1624 for every checksum value).
#pragma once
#include <cstdint>
#include <cstring>

#include <rte_ip.h>
#include <rte_mbuf.h>

namespace wansteer {

// TTL - 1, and the header checksum + 0x0100 with end-around carry (the TTL/protocol word dropped by 0x0100), as
// Linux's ip_decrease_ttl does it: on the checksum read little-endian (x86) that is + 1, because one's-complement
// sums do not depend on byte order. Same result as RFC 1624's HC' = ~(~HC + 0xFEFF) for every checksum.
// The checksum is read and written as 16 bits, the TTL as a byte: the WAN path rewrites the checksum (NAT) just
// before, and a 4-byte load over a 2-byte store that has not left the core cannot be forwarded from it (a stall of
// ~15 cycles a packet, measured in the WAN fast lane when this was one 4-byte word).
// `ip` is an IPv4 header whose TTL the caller has checked to be > 1.
inline void ipv4_ttl_decrement(uint8_t* ip) {
  uint16_t swapped;
  std::memcpy(&swapped, ip + 10, 2);
  uint32_t ck = uint32_t{swapped} + 1;
  ck += ck >= 0xffff;
  swapped = static_cast<uint16_t>(ck);
  std::memcpy(ip + 10, &swapped, 2);
  ip[8] = static_cast<uint8_t>(ip[8] - 1);
}

// Decrements the IPv4 TTL at l3_offset with its checksum. Returns false when TTL <= 1 (the packet expires here).
inline bool ipv4_decrement_ttl(rte_mbuf* m, uint16_t l3_offset) {
  uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, l3_offset);
  if (ip[8] <= 1) return false;
  ipv4_ttl_decrement(ip);
  return true;
}

// Decrements the IPv6 hop limit. Returns false when it is <= 1.
inline bool ipv6_decrement_hop_limit(rte_mbuf* m, uint16_t l3_offset) {
  auto* ip6 = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l3_offset);
  if (ip6->hop_limits <= 1) return false;
  ip6->hop_limits--;
  return true;
}

}  // namespace wansteer
