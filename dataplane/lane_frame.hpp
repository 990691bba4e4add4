// What both fast lanes (LAN: fast_lane.hpp, WAN: wan_fast_lane.hpp) check on a raw frame before they take it, and
// how they hand the rest to the general path in order.
#pragma once
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "dataplane/byte_order.hpp"

namespace wansteer {

inline constexpr uint32_t kLaneEthLen = 14;
inline constexpr uint32_t kLaneTaggedLen = 18;  // Ethernet with one 802.1Q tag (LAN lane only)
inline constexpr uint32_t kLaneIpLen = 20;      // the fast lanes take IPv4 headers without options only
inline constexpr uint8_t kLaneProtoTcp = 6;
inline constexpr uint8_t kLaneProtoUdp = 17;

// TCP or UDP, in one test whose outcome a branch predictor learns whatever the mix: `proto == 6 || proto == 17` is
// two jumps, the first taken by TCP packets only, and an office's TCP and UDP flows arrive in no order it learns.
// A table (both protocols in its first line, hot), not a shift of a 64-bit mask: one load and compare against
// seven instructions.
inline constexpr std::array<bool, 256> kLaneProtos = [] {
  std::array<bool, 256> t{};
  t[kLaneProtoTcp] = t[kLaneProtoUdp] = true;
  return t;
}();
inline bool lane_proto_ok(uint8_t proto) { return kLaneProtos[proto]; }

// A TCP header of at least 20 bytes within the packet (so within the first segment: lane_ipv4_ok found the whole
// packet there), for an IPv4 header at `ip` without options whose total length is `total`. The lanes test it in
// their passes over TCP packets only, where it goes the same way every time, not in lane_ipv4_ok, where TCP and UDP
// alternate.
inline bool lane_tcp_ok(const uint8_t* ip, uint32_t total) {
  if (total < kLaneIpLen + 20) return false;
  const uint32_t hl = (ip[kLaneIpLen + 12] >> 4) * 4u;
  return hl >= 20 && hl <= total - kLaneIpLen;
}

// The checks of an IPv4 header at `ip`, `off` bytes into a frame whose first segment holds `seg` bytes (at least
// off + 28), whose version/IHL byte the caller found to be 0x45: not a later fragment (nor a first one unless
// `first_fragments`: the WAN lane leaves every fragment to the general path), TTL > 1, valid checksum and
// lengths, TCP or UDP, the whole packet in the first segment (so a UDP header is complete; a TCP header is the
// caller's to check, lane_tcp_ok). Inline with a constant `off` at each call site. Header words are read as
// little-endian 8-byte loads (x86); the masks below pick the fields out of them.
inline bool lane_ipv4_ok(uint32_t seg, const uint8_t* ip, uint32_t off, bool first_fragments) {
  uint64_t w0, w1;  // the first 16 header bytes
  uint32_t dst_be;
  std::memcpy(&w0, ip, 8);
  std::memcpy(&w1, ip + 8, 8);
  std::memcpy(&dst_be, ip + 16, 4);
  // Fragment offset != 0: a later fragment, no ports; more fragments (0x20) and offset 0: a first one.
  if ((w0 & (first_fragments ? 0xff1f000000000000u : 0xff3f000000000000u)) != 0) return false;
  if ((w1 & 0xff) <= 1) return false;  // TTL left to decrement
  const uint32_t total = be_to_host16(static_cast<uint16_t>(w0 >> 16));
  if (total < kLaneIpLen + 8 || off + total > seg) return false;  // whole IP packet in the first segment
  if (!lane_proto_ok(static_cast<uint8_t>(w1 >> 8))) return false;
  // One's-complement sum of the five 32-bit words is all ones when the checksum is right. Folded with rotations:
  // the high half of x + rotr(x, half) is the end-around-carry sum of x's halves (as Linux's csum_fold does).
  const uint64_t sum = (w0 & 0xffffffffu) + (w0 >> 32) + (w1 & 0xffffffffu) + (w1 >> 32) + dst_be;
  const uint32_t s32 = static_cast<uint32_t>((sum + std::rotr(sum, 32)) >> 32);
  return (s32 + std::rotr(s32, 16)) >> 16 == 0xffff;
}

// True for an untagged IPv4 frame, no options, not a fragment, that lane_ipv4_ok takes (the WAN lane's check): the
// checks of the general path that depend on the packet, not on its flow. (In the LAN lane, those that depend only on
// the flow (destination not the edge, not on the LAN, not multicast) need no test: the general path drops such packets
// before its flow cache, so no entry for them ever exists, and every reload (which may change the LAN subnets) starts a
// new policy generation, retiring all older entries. The WAN lane tests the destination itself.)
inline bool lane_frame_ok(const rte_mbuf* m, const uint8_t* p) {
  const uint32_t seg = m->data_len;
  if (seg < kLaneEthLen + kLaneIpLen + 8) return false;
  uint64_t et;  // ethertype (2 bytes), version/IHL, TOS, total length, identification
  std::memcpy(&et, p + 12, 8);
  if ((et & 0xffffffu) != 0x450008u) return false;  // 0x0800, then 0x45: IPv4 without options
  return lane_ipv4_ok(seg, p + kLaneEthLen, kLaneEthLen, false);
}

// The LAN lane's frame check: an untagged frame as lane_frame_ok takes it, or the same IPv4 packet behind exactly
// one 802.1Q tag (TPID 0x8100; QinQ, 802.1ad and the rest are the general path's, which drops what the policy does
// not admit). Returns the IP header's offset (kLaneEthLen, or kLaneTaggedLen with *vlan the tag's VLAN id, as
// parse_packet reads it: priority and DEI bits left out), or 0 for a frame the lane leaves. An untagged frame pays
// one more compare than with lane_frame_ok, and only when it is not an untagged IPv4 frame.
inline uint32_t lan_lane_frame(const rte_mbuf* m, const uint8_t* p, uint16_t* vlan) {
  const uint32_t seg = m->data_len;
  if (seg < kLaneEthLen + kLaneIpLen + 8) return 0;
  uint64_t et;  // ethertype (2 bytes), version/IHL, TOS, total length, identification; or TPID, TCI, ethertype, ...
  std::memcpy(&et, p + 12, 8);
  if ((et & 0xffffffu) == 0x450008u) {  // 0x0800, then 0x45: untagged IPv4 without options
    *vlan = 0;
    return lane_ipv4_ok(seg, p + kLaneEthLen, kLaneEthLen, true) ? kLaneEthLen : 0;
  }
  // 0x8100, the TCI, 0x0800, 0x45.
  if ((et & 0xffffu) != 0x0081u || ((et >> 32) & 0xffffffu) != 0x450008u || seg < kLaneTaggedLen + kLaneIpLen + 8)
    return 0;
  *vlan = be_to_host16(static_cast<uint16_t>(et >> 16)) & 0x0fff;
  return lane_ipv4_ok(seg, p + kLaneTaggedLen, kLaneTaggedLen, true) ? kLaneTaggedLen : 0;
}

// Moves the packets whose bits are set in `rest` to the front of pkts, in order; returns how many.
inline uint16_t lane_keep_rest(rte_mbuf** pkts, uint64_t rest) {
  uint16_t left = 0;
  while (rest != 0) {
    pkts[left++] = pkts[__builtin_ctzll(rest)];
    rest &= rest - 1;
  }
  return left;
}

}  // namespace wansteer
