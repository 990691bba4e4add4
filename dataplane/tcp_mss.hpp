// TCP MSS clamping (the SYN's maximum segment size option lowered to what a link's MTU carries), so hosts never
// send segments a smaller-MTU link (LTE, PPPoE, a tunnel) would have to drop. Pure function over the TCP header.
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/packet_meta.hpp"

namespace wansteer {

// The TCP header at `tcp`, of which `avail` bytes are readable (the first segment, within the IP packet): when it
// is a SYN (or SYN-ACK) whose MSS option exceeds `max_mss`, the option becomes max_mss and the TCP checksum follows
// incrementally (RFC 1624, also for an option at an odd offset). Options are walked per RFC 9293: EOL ends them,
// NOP is one byte, any other kind has a length; a malformed or truncated list is left alone. Returns true when
// the MSS changed. A SYN without an MSS option is left as it is (RFC 9293 then assumes 536, below any MTU we take).
bool tcp_mss_clamp(uint8_t* tcp, uint32_t avail, uint16_t max_mss);

// True when the TCP header at `tcp` (at least 14 bytes readable) has SYN set: the only segments with an MSS.
inline bool tcp_is_syn(const uint8_t* tcp) { return (tcp[13] & 0x02) != 0; }

// The parsed packet m, when it is a TCP SYN or SYN-ACK whose header lies in the first segment: clamped to
// `mss_max_v4` (a link's MTU - 40), 20 less over IPv6 (its header is 20 bytes longer). Returns true when clamped.
inline bool tcp_mss_clamp_packet(rte_mbuf* m, const PacketMeta* meta, uint16_t mss_max_v4) {
  if (meta->l4_offset == 0 || (meta->flags & PacketMeta::kFlagLaterFragment) || meta->l4_offset >= m->data_len)
    return false;
  const uint32_t in_ip = meta->l3_len - (meta->l4_offset - meta->l3_offset);  // parse checked l3_len covers it
  const uint32_t in_seg = m->data_len - meta->l4_offset;
  const uint16_t mss = meta->l3 == static_cast<uint8_t>(L3::ipv6) ? static_cast<uint16_t>(mss_max_v4 - 20) : mss_max_v4;
  return tcp_mss_clamp(rte_pktmbuf_mtod_offset(m, uint8_t*, meta->l4_offset), in_ip < in_seg ? in_ip : in_seg, mss);
}

}  // namespace wansteer
