// STAMP authenticated mode: byte-exact codec of the 112-byte packets and their HMAC, computed by OpenSSL and compared
// in constant time, so the time a check takes says nothing about how many HMAC octets an attacker got right.
#include "control/health/stamp_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

#include "control/health/stamp_fields.hpp"

namespace wansteer::stamp {

namespace {

constexpr fields::SenderLayout kAuthSender{auth_offset::kSeq, auth_offset::kTimestamp, auth_offset::kErrorEstimate};
constexpr fields::ReflectorLayout kAuthReflector{auth_offset::kSeq,
                                                 auth_offset::kTimestamp,
                                                 auth_offset::kErrorEstimate,
                                                 auth_offset::kReceiveTimestamp,
                                                 auth_offset::kSenderSeq,
                                                 auth_offset::kSenderTimestamp,
                                                 auth_offset::kSenderErrorEstimate,
                                                 auth_offset::kSenderTtl};

// Writes the truncated HMAC of the octets before it.
void seal(const Key& key, uint8_t* pkt) {
  const auto mac = hmac_sha256(key, std::span<const uint8_t>(pkt, auth_offset::kHmac));
  if (mac)
    std::memcpy(pkt + auth_offset::kHmac, mac->data(), kHmacSize);
  else
    std::memset(pkt + auth_offset::kHmac, 0, kHmacSize);  // libcrypto failed: a packet the peer will refuse
}

AuthCheck check(const uint8_t* data, size_t len, const Key& key) {
  if (len != kAuthPacketSize) return AuthCheck::bad_length;
  const auto mac = hmac_sha256(key, std::span<const uint8_t>(data, auth_offset::kHmac));
  if (!mac) return AuthCheck::bad_hmac;  // fail closed
  return CRYPTO_memcmp(mac->data(), data + auth_offset::kHmac, kHmacSize) == 0 ? AuthCheck::ok : AuthCheck::bad_hmac;
}

}  // namespace

std::optional<std::array<uint8_t, kSha256Size>> hmac_sha256(std::span<const uint8_t> key,
                                                            std::span<const uint8_t> data) {
  std::array<uint8_t, kSha256Size> out{};
  unsigned int out_len = 0;
  // A zero-length key is a valid HMAC key, but OpenSSL wants a non-null pointer for it.
  static const uint8_t kNoKey = 0;
  const uint8_t* k = key.empty() ? &kNoKey : key.data();
  if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()), data.data(), data.size(), out.data(), &out_len) == nullptr ||
      out_len != kSha256Size)
    return std::nullopt;
  return out;
}

void encode_sender_auth(const SenderPacket& p, const Key& key, uint8_t out[kAuthPacketSize]) {
  std::memset(out, 0, kAuthPacketSize);
  fields::write_sender(p, kAuthSender, out);
  seal(key, out);
}

void encode_reflector_auth(const ReflectorPacket& p, const Key& key, uint8_t out[kAuthPacketSize]) {
  std::memset(out, 0, kAuthPacketSize);
  fields::write_reflector(p, kAuthReflector, out);
  seal(key, out);
}

AuthCheck decode_sender_auth(const uint8_t* data, size_t len, const Key& key, SenderPacket* out) {
  const AuthCheck c = check(data, len, key);
  if (c != AuthCheck::ok) return c;
  fields::read_sender(data, kAuthSender, out);
  return c;
}

AuthCheck decode_reflector_auth(const uint8_t* data, size_t len, const Key& key, ReflectorPacket* out) {
  const AuthCheck c = check(data, len, key);
  if (c != AuthCheck::ok) return c;
  fields::read_reflector(data, kAuthReflector, out);
  return c;
}

}  // namespace wansteer::stamp
