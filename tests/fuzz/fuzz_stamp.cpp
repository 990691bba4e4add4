// libFuzzer target for the STAMP codec (RFC 8762) the prober and wansteer-reflector decode replies with: any
// bytes decode or are refused by length alone, and what decodes encodes back to the same fields.
#include <cstdint>
#include <cstdlib>

#include "control/health/stamp.hpp"

using namespace wansteer::stamp;

namespace {
// Field by field: the structs have padding, which memcmp would compare too.
bool same(const SenderPacket& a, const SenderPacket& b) {
  return a.seq == b.seq && a.timestamp == b.timestamp && a.error_estimate == b.error_estimate;
}
bool same(const ReflectorPacket& a, const ReflectorPacket& b) {
  return a.seq == b.seq && a.timestamp == b.timestamp && a.error_estimate == b.error_estimate &&
         a.receive_timestamp == b.receive_timestamp && a.sender_seq == b.sender_seq &&
         a.sender_timestamp == b.sender_timestamp && a.sender_error_estimate == b.sender_error_estimate &&
         a.sender_ttl == b.sender_ttl;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SenderPacket s{};
  const bool sender_ok = decode_sender(data, size, &s);
  if (sender_ok != (size >= kPacketSize)) __builtin_trap();
  if (sender_ok) {
    uint8_t again[kPacketSize];
    encode_sender(s, again);
    SenderPacket back{};
    if (!decode_sender(again, sizeof again, &back) || !same(back, s)) __builtin_trap();
  }
  ReflectorPacket r{};
  const bool refl_ok = decode_reflector(data, size, &r);
  if (refl_ok != (size >= kPacketSize)) __builtin_trap();
  if (refl_ok) {
    uint8_t again[kPacketSize];
    encode_reflector(r, again);
    ReflectorPacket back{};
    if (!decode_reflector(again, sizeof again, &back) || !same(back, r)) __builtin_trap();
  }
  return 0;
}
