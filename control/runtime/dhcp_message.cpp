// The DHCP client's wire format: encoding what it sends, strict decoding of what servers answer.
#include "control/runtime/dhcp_message.hpp"

#include <algorithm>
#include <bit>
#include <bitset>
#include <cstring>

namespace wansteer::dhcp {

namespace {

constexpr size_t kEth = 14, kIp = 20, kUdp = 8, kBootp = 236, kCookie = 4;
constexpr size_t kBootpPadded = 300;  // RFC 1542 2.1: the smallest BOOTP message relays must accept
constexpr uint8_t kMagic[kCookie] = {99, 130, 83, 99};
enum Option : uint8_t {
  kPad = 0,
  kSubnetMask = 1,
  kRouter = 3,
  kRequestedIp = 50,
  kLeaseTime = 51,
  kMessageType = 53,
  kServerId = 54,
  kParameterList = 55,
  kRenewalTime = 58,
  kRebindingTime = 59,
  kClientId = 61,
  kEnd = 255,
};

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
void wr16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void wr32(uint8_t* p, uint32_t v) {
  wr16(p, static_cast<uint16_t>(v >> 16));
  wr16(p + 2, static_cast<uint16_t>(v));
}

// The Internet checksum's running sum (RFC 1071), folded at the end by fold().
uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += rd16(p + i);
  if (n & 1) sum += uint32_t{p[n - 1]} << 8;
  return sum;
}
uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
// The UDP pseudo-header (RFC 768): addresses, protocol and UDP length.
uint32_t pseudo_sum(const uint8_t* ip, uint16_t udp_len) { return sum16(ip + 12, 8) + 17 + udp_len; }

uint8_t* put_option(uint8_t* p, uint8_t code, uint8_t len) {
  p[0] = code;
  p[1] = len;
  return p + 2;
}

// Options in the order RFC 2131 4.3 examples use: type, client id, requested address, server, parameters, end.
void write_options(const Outgoing& msg, uint8_t* p) {
  *put_option(p, kMessageType, 1) = static_cast<uint8_t>(msg.type);
  p += 3;
  p = put_option(p, kClientId, 7);
  p[0] = 1;  // hardware type Ethernet (RFC 2132 9.14)
  std::memcpy(p + 1, msg.client_mac.data(), 6);
  p += 7;
  if (msg.requested_ip) {
    wr32(put_option(p, kRequestedIp, 4), msg.requested_ip);
    p += 6;
  }
  if (msg.server_id) {
    wr32(put_option(p, kServerId, 4), msg.server_id);
    p += 6;
  }
  static constexpr uint8_t kWanted[] = {kSubnetMask, kRouter, kLeaseTime, kServerId, kRenewalTime, kRebindingTime};
  std::memcpy(put_option(p, kParameterList, sizeof kWanted), kWanted, sizeof kWanted);
  p += 2 + sizeof kWanted;
  *p = kEnd;  // the rest stays zero: pad options
}

}  // namespace

std::optional<uint8_t> prefix_of_mask(uint32_t mask) {
  uint32_t inverted = ~mask;
  if ((inverted & (inverted + 1)) != 0) return std::nullopt;  // ones after a zero: not contiguous
  return static_cast<uint8_t>(32 - std::popcount(inverted));
}

size_t encode(const Outgoing& msg, std::span<uint8_t> out) {
  if (out.size() < kMaxFrame) return 0;
  uint8_t* f = out.data();
  std::memset(f, 0, kMaxFrame);
  std::memcpy(f, msg.dst_mac.data(), 6);
  std::memcpy(f + 6, msg.client_mac.data(), 6);
  wr16(f + 12, 0x0800);
  uint8_t* ip = f + kEth;
  const auto udp_len = static_cast<uint16_t>(kUdp + kBootpPadded);
  ip[0] = 0x45;
  wr16(ip + 2, static_cast<uint16_t>(kIp + udp_len));
  ip[8] = 64;  // TTL
  ip[9] = 17;  // UDP
  wr32(ip + 12, msg.ciaddr);
  wr32(ip + 16, msg.dst_ip);
  wr16(ip + 10, fold(sum16(ip, kIp)));
  uint8_t* udp = ip + kIp;
  wr16(udp, kClientPort);
  wr16(udp + 2, kServerPort);
  wr16(udp + 4, udp_len);
  uint8_t* b = udp + kUdp;
  b[0] = 1;  // BOOTREQUEST
  b[1] = 1;  // Ethernet
  b[2] = 6;
  wr32(b + 4, msg.xid);
  wr16(b + 8, msg.secs);
  wr32(b + 12, msg.ciaddr);
  std::memcpy(b + 28, msg.client_mac.data(), 6);
  std::memcpy(b + kBootp, kMagic, kCookie);
  write_options(msg, b + kBootp + kCookie);
  uint16_t ck = fold(sum16(udp, udp_len, pseudo_sum(ip, udp_len)));
  wr16(udp + 6, ck == 0 ? 0xffff : ck);  // 0 would mean "no checksum" (RFC 768)
  return kMaxFrame;
}

namespace {

// The options of a BOOTREPLY into `r`; every option we read must have its exact length and appear once.
Refusal decode_options(const uint8_t* p, size_t n, Reply& r) {
  std::bitset<256> seen;
  bool typed = false;
  for (size_t i = 0; i < n;) {
    uint8_t code = p[i];
    if (code == kPad) {
      ++i;
      continue;
    }
    if (code == kEnd) break;
    if (i + 2 > n || i + 2 + p[i + 1] > n) return Refusal::bad_option;
    const uint8_t len = p[i + 1];
    const uint8_t* v = p + i + 2;
    i += 2 + len;
    auto fixed = [&](uint8_t want) { return len == want && !seen[code]; };
    switch (code) {
      case kMessageType:
        if (!fixed(1)) return Refusal::bad_option;
        if (v[0] != 2 && v[0] != 5 && v[0] != 6) return Refusal::not_dhcp;  // only offer, ack and nak are replies
        r.type = static_cast<MessageType>(v[0]);
        typed = true;
        break;
      case kSubnetMask:
        if (!fixed(4) || !(r.prefix = prefix_of_mask(rd32(v)))) return Refusal::bad_option;
        break;
      case kRouter:
        if (len < 4 || len % 4 != 0 || seen[code]) return Refusal::bad_option;
        r.router = rd32(v);
        break;
      case kServerId:
        if (!fixed(4)) return Refusal::bad_option;
        r.server_id = rd32(v);
        break;
      case kLeaseTime:
      case kRenewalTime:
      case kRebindingTime:
        if (!fixed(4)) return Refusal::bad_option;
        (code == kLeaseTime ? r.lease_s : code == kRenewalTime ? r.t1_s : r.t2_s) = rd32(v);
        break;
      default:
        break;  // options we do not use are skipped by their length
    }
    seen[code] = true;
  }
  return typed ? Refusal::ok : Refusal::no_type;
}

// The IPv4 and UDP headers around a BOOTP message; on success `bootp` and `bootp_len` say where it is.
Refusal decode_headers(std::span<const uint8_t> f, const uint8_t** bootp, size_t* bootp_len) {
  if (f.size() < kEth + kIp + kUdp) return f.size() >= kEth ? Refusal::truncated : Refusal::not_dhcp;
  if (rd16(f.data() + 12) != 0x0800) return Refusal::not_dhcp;
  const uint8_t* ip = f.data() + kEth;
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  if (ip[0] >> 4 != 4 || ihl < kIp) return Refusal::not_dhcp;
  if (ip[9] != 17 || (rd16(ip + 6) & 0x3fff) != 0) return Refusal::not_dhcp;  // not UDP, or a fragment
  const size_t total = rd16(ip + 2);
  if (kEth + ihl + kUdp > f.size() || total < ihl + kUdp || kEth + total > f.size()) return Refusal::truncated;
  if (fold(sum16(ip, ihl)) != 0) return Refusal::bad_checksum;
  const uint8_t* udp = ip + ihl;
  if (rd16(udp) != kServerPort || rd16(udp + 2) != kClientPort) return Refusal::not_dhcp;
  const size_t udp_len = rd16(udp + 4);
  if (udp_len < kUdp || udp_len > total - ihl) return Refusal::truncated;
  if (rd16(udp + 6) != 0 && fold(sum16(udp, udp_len, pseudo_sum(ip, static_cast<uint16_t>(udp_len)))) != 0)
    return Refusal::bad_checksum;
  *bootp = udp + kUdp;
  *bootp_len = udp_len - kUdp;
  return Refusal::ok;
}

}  // namespace

Decoded decode(std::span<const uint8_t> frame) {
  Decoded d;
  const uint8_t* b = nullptr;
  size_t n = 0;
  if ((d.refusal = decode_headers(frame, &b, &n)) != Refusal::ok) return d;
  if (n < kBootp + kCookie) {
    d.refusal = Refusal::truncated;
    return d;
  }
  if (b[0] != 2 || b[1] != 1 || b[2] != 6 || std::memcmp(b + kBootp, kMagic, kCookie) != 0) {
    d.refusal = Refusal::bad_bootp;
    return d;
  }
  Reply& r = d.reply;
  r.xid = rd32(b + 4);
  r.yiaddr = rd32(b + 16);
  std::memcpy(r.client_mac.data(), b + 28, 6);
  std::memcpy(r.src_mac.data(), frame.data() + 6, 6);
  d.refusal = decode_options(b + kBootp + kCookie, n - kBootp - kCookie, r);
  return d;
}

}  // namespace wansteer::dhcp
