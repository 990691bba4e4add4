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
// sums do not depend on byte order. TTL, protocol and checksum are one 4-byte word, updated with one load and one
// store; the TTL (> 1) borrows nothing. Same result as RFC 1624's HC' = ~(~HC + 0xFEFF) for every checksum.
// `ip` is an IPv4 header whose TTL the caller has checked to be > 1.
inline void ipv4_ttl_decrement(uint8_t* ip) {
  uint32_t word;
  std::memcpy(&word, ip + 8, 4);
  uint32_t ck = (word >> 16) + 1;
  ck += ck >= 0xffff;
  word = ((word - 1) & 0xffff) | (ck << 16);
  std::memcpy(ip + 8, &word, 4);
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
