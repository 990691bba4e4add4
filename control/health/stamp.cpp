// STAMP (RFC 8762) unauthenticated test packets: byte-exact codec and NTP timestamp conversion.
#include "control/health/stamp.hpp"

#include <cmath>
#include <cstring>

namespace wansteer::stamp {

namespace {

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (24 - 8 * i));
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = uint8_t(v >> (56 - 8 * i));
}
uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v = v << 8 | p[i];
  return v;
}
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | p[i];
  return v;
}

constexpr uint64_t kNsPerS = 1'000'000'000ull;

}  // namespace

uint64_t ntp_from_unix_ns(uint64_t unix_ns) {
  uint64_t s = unix_ns / kNsPerS + kNtpUnixOffsetS;
  uint64_t ns = unix_ns % kNsPerS;
  uint64_t frac = (ns << 32) / kNsPerS;  // ns < 2^30, so ns << 32 fits in 64 bits
  return (s << 32) | frac;
}

uint64_t unix_ns_from_ntp(uint64_t ntp) {
  uint64_t s = ntp >> 32;
  uint64_t frac = ntp & 0xffffffffull;
  // Round to nearest so unix -> ntp -> unix returns the same nanosecond.
  uint64_t ns = (frac * kNsPerS + (1ull << 31)) >> 32;
  uint64_t unix_s = s >= kNtpUnixOffsetS ? s - kNtpUnixOffsetS : 0;  // before 1970: clamp, never wrap
  return unix_s * kNsPerS + ns;
}

void encode_sender(const SenderPacket& p, uint8_t out[kPacketSize]) {
  std::memset(out, 0, kPacketSize);
  put32(out + offset::kSeq, p.seq);
  put64(out + offset::kTimestamp, p.timestamp);
  put16(out + offset::kErrorEstimate, p.error_estimate);
}

bool decode_sender(const uint8_t* data, size_t len, SenderPacket* out) {
  if (len < kPacketSize) return false;
  out->seq = get32(data + offset::kSeq);
  out->timestamp = get64(data + offset::kTimestamp);
  out->error_estimate = get16(data + offset::kErrorEstimate);
  return true;
}

void encode_reflector(const ReflectorPacket& p, uint8_t out[kPacketSize]) {
  std::memset(out, 0, kPacketSize);
  put32(out + offset::kSeq, p.seq);
  put64(out + offset::kTimestamp, p.timestamp);
  put16(out + offset::kErrorEstimate, p.error_estimate);
  put64(out + offset::kReceiveTimestamp, p.receive_timestamp);
  put32(out + offset::kSenderSeq, p.sender_seq);
  put64(out + offset::kSenderTimestamp, p.sender_timestamp);
  put16(out + offset::kSenderErrorEstimate, p.sender_error_estimate);
  out[offset::kSenderTtl] = p.sender_ttl;
}

bool decode_reflector(const uint8_t* data, size_t len, ReflectorPacket* out) {
  if (len < kPacketSize) return false;
  out->seq = get32(data + offset::kSeq);
  out->timestamp = get64(data + offset::kTimestamp);
  out->error_estimate = get16(data + offset::kErrorEstimate);
  out->receive_timestamp = get64(data + offset::kReceiveTimestamp);
  out->sender_seq = get32(data + offset::kSenderSeq);
  out->sender_timestamp = get64(data + offset::kSenderTimestamp);
  out->sender_error_estimate = get16(data + offset::kSenderErrorEstimate);
  out->sender_ttl = data[offset::kSenderTtl];
  return true;
}

double error_estimate_seconds(uint16_t e) {
  int scale = (e >> 8) & 0x3f;
  int multiplier = e & 0xff;
  return multiplier * std::ldexp(1.0, scale - 32);
}

uint16_t default_error_estimate() {
  constexpr uint16_t kScale = 22, kMultiplier = 1;  // 2^(22-32) s = 1/1024 s
  return uint16_t(kScale << 8 | kMultiplier);       // S=0, Z=0
}

}  // namespace wansteer::stamp
