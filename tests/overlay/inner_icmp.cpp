// Minimal IPv4 ICMP echo, enough to check the tunnel both ways; the sizes come from the IPv4 total length, since
// WireGuard pads the inner packet to 16 bytes.
#include "tests/overlay/inner_icmp.hpp"

#include <cstring>

namespace wansteer::wg::test {

namespace {

constexpr size_t kIpHeader = 20;
constexpr size_t kEchoPayload = 32;

uint16_t checksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (len % 2) sum += static_cast<uint32_t>(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void put16(uint8_t* p, uint16_t v) { p[0] = static_cast<uint8_t>(v >> 8), p[1] = static_cast<uint8_t>(v); }
void put32(uint8_t* p, uint32_t v) { put16(p, static_cast<uint16_t>(v >> 16)), put16(p + 2, static_cast<uint16_t>(v)); }
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2); }

// The IPv4 ICMP packet's total length when pkt is one to us, else 0.
size_t icmp_to_us(const uint8_t* pkt, size_t len, uint32_t us) {
  if (len < kIpHeader + 8 || pkt[0] != 0x45 || pkt[9] != 1 || get32(pkt + 16) != us) return 0;
  const size_t total = get16(pkt + 2);
  return total >= kIpHeader + 8 && total <= len ? total : 0;
}

void finish_ip(uint8_t* pkt) {
  pkt[10] = pkt[11] = 0;
  put16(pkt + 10, checksum(pkt, kIpHeader));
}

}  // namespace

size_t build_echo_request(uint32_t src, uint32_t dst, uint16_t id, uint16_t seq, uint8_t* out) {
  const size_t total = kIpHeader + 8 + kEchoPayload;
  std::memset(out, 0, total);
  out[0] = 0x45;
  put16(out + 2, static_cast<uint16_t>(total));
  out[8] = 64;
  out[9] = 1;
  put32(out + 12, src);
  put32(out + 16, dst);
  finish_ip(out);
  uint8_t* icmp = out + kIpHeader;
  icmp[0] = 8;
  put16(icmp + 4, id);
  put16(icmp + 6, seq);
  for (size_t i = 0; i < kEchoPayload; i++) icmp[8 + i] = static_cast<uint8_t>(i);
  put16(icmp + 2, checksum(icmp, 8 + kEchoPayload));
  return total;
}

size_t echo_request_to_reply(uint8_t* pkt, size_t len, uint32_t us) {
  const size_t total = icmp_to_us(pkt, len, us);
  if (total == 0 || pkt[kIpHeader] != 8) return 0;
  const uint32_t src = get32(pkt + 12);
  put32(pkt + 16, src);
  put32(pkt + 12, us);
  pkt[8] = 64;
  finish_ip(pkt);
  uint8_t* icmp = pkt + kIpHeader;
  icmp[0] = 0;
  icmp[2] = icmp[3] = 0;
  put16(icmp + 2, checksum(icmp, total - kIpHeader));
  return total;
}

int echo_reply_seq(const uint8_t* pkt, size_t len, uint32_t us) {
  const size_t total = icmp_to_us(pkt, len, us);
  if (total == 0 || pkt[kIpHeader] != 0) return -1;
  return get16(pkt + kIpHeader + 6);
}

}  // namespace wansteer::wg::test
