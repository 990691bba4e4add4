// STAMP (RFC 8762) authenticated mode: the 112-byte Session-Sender and Session-Reflector test packets (sections
// 4.2.2 and 4.3.2), each closed by HMAC-SHA-256 truncated to 16 octets over the octets before it (OpenSSL libcrypto).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "control/health/stamp.hpp"

namespace wansteer::stamp {

// The shared secret both ends hold (read from the operator's key file, control/health/stamp_key_file.hpp).
using Key = std::vector<uint8_t>;

inline constexpr size_t kAuthPacketSize = 112;  // both directions
inline constexpr size_t kHmacSize = 16;         // HMAC-SHA-256 truncated to 128 bits (RFC 8762 section 4.4)
inline constexpr size_t kSha256Size = 32;

// Byte offsets in the authenticated packets; every other byte before the HMAC is MBZ.
namespace auth_offset {
inline constexpr size_t kSeq = 0, kTimestamp = 16, kErrorEstimate = 24;
inline constexpr size_t kReceiveTimestamp = 32, kSenderSeq = 48, kSenderTimestamp = 64, kSenderErrorEstimate = 72,
                        kSenderTtl = 80;
inline constexpr size_t kHmac = 96;  // covers octets [0, 96)
}  // namespace auth_offset

// HMAC-SHA-256 (RFC 2104) of `data` under `key`, all 32 octets: the one place libcrypto is called. nullopt only
// when libcrypto itself fails; callers then refuse the packet (fail closed).
std::optional<std::array<uint8_t, kSha256Size>> hmac_sha256(std::span<const uint8_t> key,
                                                            std::span<const uint8_t> data);

// What became of an authenticated packet on receipt.
enum class AuthCheck {
  ok,
  bad_length,  // not exactly 112 octets: octets past the HMAC would be unauthenticated, so none are accepted
  bad_hmac,    // the HMAC does not verify under our key (forged, corrupted, or another key)
};

// Network byte order, MBZ zeroed, HMAC written last.
void encode_sender_auth(const SenderPacket& p, const Key& key, uint8_t out[kAuthPacketSize]);
void encode_reflector_auth(const ReflectorPacket& p, const Key& key, uint8_t out[kAuthPacketSize]);
// `*out` is written only when the result is ok: nothing unverified ever reaches the caller.
AuthCheck decode_sender_auth(const uint8_t* data, size_t len, const Key& key, SenderPacket* out);
AuthCheck decode_reflector_auth(const uint8_t* data, size_t len, const Key& key, ReflectorPacket* out);

}  // namespace wansteer::stamp
