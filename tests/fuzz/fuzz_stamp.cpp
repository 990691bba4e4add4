// libFuzzer target for the STAMP codec (RFC 8762) the prober and wansteer-reflector decode replies with: any
// bytes decode or are refused by length alone, and what decodes encodes back to the same fields. Authenticated
// mode: any bytes are checked (length, HMAC) without a crash, what we seal verifies, and one changed octet of it
// never does.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "control/health/stamp.hpp"
#include "control/health/stamp_auth.hpp"

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

const Key kKey(32, 0x5a);

// The input as an authenticated packet under kKey: refused by length alone unless 112 octets, and never "ok" with
// fields that would not seal back to the very same bytes.
void check_authenticated_input(const uint8_t* data, size_t size) {
  SenderPacket s{};
  const AuthCheck sc = decode_sender_auth(data, size, kKey, &s);
  if ((sc == AuthCheck::bad_length) != (size != kAuthPacketSize)) __builtin_trap();
  ReflectorPacket r{};
  const AuthCheck rc = decode_reflector_auth(data, size, kKey, &r);
  if ((rc == AuthCheck::bad_length) != (size != kAuthPacketSize)) __builtin_trap();
}

// Fields taken from the input, sealed: they verify and decode to themselves; a changed octet (chosen by the
// input) makes them fail.
template <typename Packet, typename Encode, typename Decode>
void check_sealed(const Packet& p, Encode encode, Decode decode, const uint8_t* data, size_t size) {
  uint8_t buf[kAuthPacketSize];
  encode(p, kKey, buf);
  Packet back{};
  if (decode(buf, sizeof buf, kKey, &back) != AuthCheck::ok || !same(back, p)) __builtin_trap();
  if (size < 2) return;
  buf[data[0] % kAuthPacketSize] ^= static_cast<uint8_t>(data[1] | 1);
  if (decode(buf, sizeof buf, kKey, &back) != AuthCheck::bad_hmac) __builtin_trap();
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
    check_sealed(s, encode_sender_auth, decode_sender_auth, data, size);
  }
  ReflectorPacket r{};
  const bool refl_ok = decode_reflector(data, size, &r);
  if (refl_ok != (size >= kPacketSize)) __builtin_trap();
  if (refl_ok) {
    uint8_t again[kPacketSize];
    encode_reflector(r, again);
    ReflectorPacket back{};
    if (!decode_reflector(again, sizeof again, &back) || !same(back, r)) __builtin_trap();
    check_sealed(r, encode_reflector_auth, decode_reflector_auth, data, size);
  }
  check_authenticated_input(data, size);
  return 0;
}
