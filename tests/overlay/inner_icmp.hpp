// The inner packets the interop peer sends and answers through the tunnel: IPv4 ICMP echo requests and replies.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wansteer::wg::test {

// Writes an IPv4 ICMP echo request from src to dst (host order) into out; returns its length.
size_t build_echo_request(uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, uint8_t* out);
// If pkt (len bytes, padding allowed) is an echo request to us, turns it into the reply in place and returns the
// reply's length; else 0.
size_t echo_request_to_reply(uint8_t* pkt, size_t len, uint32_t us);
// If pkt is an echo reply to us, its sequence number; else -1.
int echo_reply_seq(const uint8_t* pkt, size_t len, uint32_t us);

}  // namespace wansteer::wg::test
