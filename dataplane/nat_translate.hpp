// NAT header rewrites: an IPv4 address or a port/identifier replaced in place, every checksum that covers it
// updated incrementally (RFC 1624): IPv4 header, TCP/UDP (pseudo header), ICMP; a zero UDP checksum stays zero.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/frame_edit.hpp"

namespace wansteer {

inline constexpr uint8_t kIpProtoIcmp = 1, kIpProtoTcp = 6, kIpProtoUdp = 17;
// ICMP types the NAT and the routed firewall tell apart (RFC 792)
inline constexpr uint8_t kNatIcmpEchoReply = 0, kNatIcmpUnreachable = 3, kNatIcmpEchoRequest = 8,
                         kNatIcmpTimeExceeded = 11, kNatIcmpParamProblem = 12;

inline uint16_t nat_rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
// One 16-bit store, not two byte stores: a checksum is written and read back as the next word of the rewrite
// changes, and a 16-bit load cannot be forwarded from two byte stores (a store-forwarding stall of ~15 cycles each
// time, a third of NAT's cost per packet before this).
inline void nat_wr16(uint8_t* p, uint16_t v) {
  const uint16_t be = host_to_be16(v);
  std::memcpy(p, &be, sizeof be);
}
inline uint32_t nat_rd32(const uint8_t* p) { return (uint32_t{nat_rd16(p)} << 16) | nat_rd16(p + 2); }

// A checksum field to keep right while words it covers change. `udp`: a result of 0 is sent as 0xffff (RFC 768: 0
// means "no checksum"). Null `at`: nothing to fix (no such field, or a UDP datagram sent without a checksum).
struct NatSum {
  uint8_t* at = nullptr;
  bool udp = false;
};

// The transport checksum of a TCP (`tcp`) or UDP header at `l4`, for the fast lanes, which take no other protocol.
inline NatSum nat_l4_sum_tcp_udp(uint8_t* l4, bool tcp) {
  if (tcp) return {l4 + 16, false};
  return nat_rd16(l4 + 6) == 0 ? NatSum{} : NatSum{l4 + 6, true};
}

// The transport checksum over the L4 header at `l4` (which holds at least its first 18 bytes for TCP, 8 otherwise).
inline NatSum nat_l4_sum(uint8_t* l4, uint8_t proto) {
  if (proto == kIpProtoTcp || proto == kIpProtoUdp) return nat_l4_sum_tcp_udp(l4, proto == kIpProtoTcp);
  if (proto == kIpProtoIcmp) return {l4 + 2, false};
  return {};
}

inline void nat_fix(NatSum s, uint16_t old_word, uint16_t new_word) {
  if (s.at == nullptr) return;
  uint16_t v = checksum_update16(nat_rd16(s.at), old_word, new_word);
  if (s.udp && v == 0) v = 0xffff;
  nat_wr16(s.at, v);
}

// The 16-bit word at `p` becomes `v`; checksums `a`, `b` and `c` follow.
inline void nat_set16(uint8_t* p, uint16_t v, NatSum a, NatSum b = {}, NatSum c = {}) {
  const uint16_t old = nat_rd16(p);
  nat_wr16(p, v);
  nat_fix(a, old, v);
  nat_fix(b, old, v);
  nat_fix(c, old, v);
}

// The 4-byte address at `p` becomes `addr` (host order); checksums `a`, `b` and `c` follow.
inline void nat_set32(uint8_t* p, uint32_t addr, NatSum a, NatSum b = {}, NatSum c = {}) {
  nat_set16(p, static_cast<uint16_t>(addr >> 16), a, b, c);
  nat_set16(p + 2, static_cast<uint16_t>(addr), a, b, c);
}

// The IPv4 header checksum of the header at `ip`.
inline NatSum nat_ip_sum(uint8_t* ip) { return {ip + 10, false}; }

// RFC 1624 eqn. 3 over several changed words at once: `delta` sums ~old + new of every 16-bit word that changed (at
// most 8 words), so each checksum is read, updated in registers and written once, however many words changed.
// The words are taken as they sit in memory (nat_wire16): a one's complement sum does not depend on byte order
// (RFC 1071, 2.B), so summing little-endian loads of big-endian words yields the byte-swapped sum, and storing
// the result the same way writes the same bytes as the host-order update would, with no swap anywhere.
inline uint16_t nat_wire16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint32_t nat_wire32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint32_t nat_delta16(uint16_t old_word, uint16_t new_word) {
  return uint32_t{static_cast<uint16_t>(~old_word)} + new_word;
}
inline uint32_t nat_delta32(uint32_t old_v, uint32_t new_v) {
  return nat_delta16(static_cast<uint16_t>(old_v >> 16), static_cast<uint16_t>(new_v >> 16)) +
         nat_delta16(static_cast<uint16_t>(old_v), static_cast<uint16_t>(new_v));
}
// `delta` of wire-order words (nat_wire16).
inline void nat_fix_by(NatSum s, uint32_t delta) {
  if (s.at == nullptr) return;
  // Folded once with a rotation (as lane_ipv4_ok): the high half of x + rotr(x, 16) is the end-around-carry sum of
  // x's halves, the carry out of the high half being the one the low half already added back.
  const uint32_t sum = uint32_t{static_cast<uint16_t>(~nat_wire16(s.at))} + delta;
  const uint16_t v = static_cast<uint16_t>(~((sum + std::rotr(sum, 16)) >> 16));
  const uint16_t out = s.udp && v == 0 ? uint16_t{0xffff} : v;  // 0 and 0xffff read the same either way round
  std::memcpy(s.at, &out, sizeof out);
}

// One endpoint of the IPv4 packet at `ip` translated: the address at `addr_at` (source or destination) becomes
// `addr`, the port or ICMP identifier at `port_at` becomes `port` (both host order). The IPv4 header checksum and
// `l4sum` are each updated once; ICMP (`proto`) has no pseudo header, so its checksum covers only the identifier.
// `ip_more`: the delta of other IPv4 header words the caller already changed (nat_ttl_decrement), folded into the
// same header checksum update. All in wire order (see nat_delta16): the new address and port are swapped once.
// (Only ICMP's case depends on `proto`: the fast lanes pass kIpProtoTcp for their TCP and UDP alike, a constant.)
inline void nat_rewrite_endpoint(uint8_t* ip, uint8_t proto, uint8_t* addr_at, uint32_t addr, uint8_t* port_at,
                                 uint16_t port, NatSum l4sum, uint32_t ip_more = 0) {
  const uint32_t addr_wire = host_to_be32(addr);
  const uint16_t port_wire = host_to_be16(port);
  const uint32_t da = nat_delta32(nat_wire32(addr_at), addr_wire);
  const uint32_t dp = nat_delta16(nat_wire16(port_at), port_wire);
  nat_fix_by(nat_ip_sum(ip), da + ip_more);
  nat_fix_by(l4sum, proto == kIpProtoIcmp ? dp : da + dp);
  std::memcpy(addr_at, &addr_wire, sizeof addr_wire);
  std::memcpy(port_at, &port_wire, sizeof port_wire);
}

// The fast lanes' TTL - 1 on a packet they translate: the TTL byte only, returning its delta (wire order) for
// nat_rewrite_endpoint's `ip_more`, so the header checksum is read and written once for both (a second 16-bit
// update of the same word costs a dependent load and fold per packet). `ip`'s TTL was checked > 1. The word at
// ip + 8 is TTL then protocol: loaded as it sits, the TTL is its low byte, so the word drops by exactly 1, and its
// delta is a constant: ~w + (w - 1) = 0xfffe, one's complement -1, whatever the TTL and protocol.
inline constexpr uint32_t kNatTtlDecrementDelta = 0xfffe;
inline uint32_t nat_ttl_decrement(uint8_t* ip) {
  ip[8] = static_cast<uint8_t>(ip[8] - 1);
  return kNatTtlDecrementDelta;
}

// The transport header of the IPv4 packet at `ip` when NAT can translate it: TCP (18 bytes, up to the checksum),
// UDP or ICMP (8 bytes) within the `seg_left` bytes of the first segment, not a later fragment. Else nullptr.
inline uint8_t* nat_l4_of(uint8_t* ip, uint32_t seg_left) {
  if (seg_left < 20 || (nat_rd16(ip + 6) & 0x1fff) != 0) return nullptr;  // a later fragment has no ports
  const uint32_t ihl = (ip[0] & 0xfu) * 4u;
  const uint8_t proto = ip[9];
  if (proto != kIpProtoTcp && proto != kIpProtoUdp && proto != kIpProtoIcmp) return nullptr;
  const uint32_t need = proto == kIpProtoTcp ? 18u : 8u;
  return ihl < 20 || ihl + need > seg_left ? nullptr : ip + ihl;
}

// Where a packet's NAT port is: TCP/UDP source (outbound) or destination (inbound) port, the ICMP echo identifier.
inline uint8_t* nat_port_field(uint8_t* l4, uint8_t proto, bool outbound) {
  if (proto == kIpProtoIcmp) return l4 + 4;
  return outbound ? l4 : l4 + 2;
}

}  // namespace wansteer
