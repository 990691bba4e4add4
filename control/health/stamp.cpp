// STAMP (RFC 8762) unauthenticated test packets: byte-exact codec and NTP timestamp conversion.
#include "control/health/stamp.hpp"

#include <cmath>
#include <cstring>

#include "control/health/stamp_fields.hpp"

namespace wansteer::stamp {

namespace fields {

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

}  // namespace

void write_sender(const SenderPacket& p, const SenderLayout& at, uint8_t* out) {
  put32(out + at.seq, p.seq);
  put64(out + at.timestamp, p.timestamp);
  put16(out + at.error_estimate, p.error_estimate);
}

void read_sender(const uint8_t* data, const SenderLayout& at, SenderPacket* out) {
  out->seq = get32(data + at.seq);
  out->timestamp = get64(data + at.timestamp);
  out->error_estimate = get16(data + at.error_estimate);
}

void write_reflector(const ReflectorPacket& p, const ReflectorLayout& at, uint8_t* out) {
  put32(out + at.seq, p.seq);
  put64(out + at.timestamp, p.timestamp);
  put16(out + at.error_estimate, p.error_estimate);
  put64(out + at.receive_timestamp, p.receive_timestamp);
  put32(out + at.sender_seq, p.sender_seq);
  put64(out + at.sender_timestamp, p.sender_timestamp);
  put16(out + at.sender_error_estimate, p.sender_error_estimate);
  out[at.sender_ttl] = p.sender_ttl;
}

void read_reflector(const uint8_t* data, const ReflectorLayout& at, ReflectorPacket* out) {
  out->seq = get32(data + at.seq);
  out->timestamp = get64(data + at.timestamp);
  out->error_estimate = get16(data + at.error_estimate);
  out->receive_timestamp = get64(data + at.receive_timestamp);
  out->sender_seq = get32(data + at.sender_seq);
  out->sender_timestamp = get64(data + at.sender_timestamp);
  out->sender_error_estimate = get16(data + at.sender_error_estimate);
  out->sender_ttl = data[at.sender_ttl];
}

}  // namespace fields

namespace {

constexpr fields::SenderLayout kSender{offset::kSeq, offset::kTimestamp, offset::kErrorEstimate};
constexpr fields::ReflectorLayout kReflector{
    offset::kSeq,       offset::kTimestamp,       offset::kErrorEstimate,       offset::kReceiveTimestamp,
    offset::kSenderSeq, offset::kSenderTimestamp, offset::kSenderErrorEstimate, offset::kSenderTtl};

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
  fields::write_sender(p, kSender, out);
}

bool decode_sender(const uint8_t* data, size_t len, SenderPacket* out) {
  if (len < kPacketSize) return false;
  fields::read_sender(data, kSender, out);
  return true;
}

void encode_reflector(const ReflectorPacket& p, uint8_t out[kPacketSize]) {
  std::memset(out, 0, kPacketSize);
  fields::write_reflector(p, kReflector, out);
}

bool decode_reflector(const uint8_t* data, size_t len, ReflectorPacket* out) {
  if (len < kPacketSize) return false;
  fields::read_reflector(data, kReflector, out);
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
