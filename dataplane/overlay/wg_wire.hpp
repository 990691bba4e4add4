// WireGuard's four message layouts and sizes (whitepaper section 5.4), shared by the control thread (handshakes,
// cookies) and the workers (transport data). Multi-byte integers on the wire are little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wansteer::wg {

enum class MessageType : uint8_t { initiation = 1, response = 2, cookie_reply = 3, transport = 4 };

inline constexpr size_t kKeySize = 32;          // X25519 keys, symmetric keys, hashes
inline constexpr size_t kTagSize = 16;          // Poly1305
inline constexpr size_t kMacSize = 16;          // mac1, mac2, cookie
inline constexpr size_t kTimestampSize = 12;    // TAI64N
inline constexpr size_t kXNonceSize = 24;       // XChaCha20-Poly1305 nonce of the cookie reply
inline constexpr size_t kInitiationSize = 148;  // type..mac2
inline constexpr size_t kResponseSize = 92;
inline constexpr size_t kCookieReplySize = 64;
inline constexpr size_t kTransportHeaderSize = 16;  // type, reserved, receiver index, 64-bit counter
inline constexpr size_t kPaddingMultiple = 16;      // transport plaintext is zero-padded to this

// Offsets inside a handshake initiation.
namespace initiation {
inline constexpr size_t kSender = 4;
inline constexpr size_t kEphemeral = 8;
inline constexpr size_t kStatic = 40;     // encrypted static key: 32 + tag
inline constexpr size_t kTimestamp = 88;  // encrypted TAI64N: 12 + tag
inline constexpr size_t kMac1 = 116;
inline constexpr size_t kMac2 = 132;
}  // namespace initiation

// Offsets inside a handshake response.
namespace response {
inline constexpr size_t kSender = 4;
inline constexpr size_t kReceiver = 8;
inline constexpr size_t kEphemeral = 12;
inline constexpr size_t kEmpty = 44;  // encrypted nothing: the tag alone
inline constexpr size_t kMac1 = 60;
inline constexpr size_t kMac2 = 76;
}  // namespace response

// Offsets inside a cookie reply.
namespace cookie_reply {
inline constexpr size_t kReceiver = 4;
inline constexpr size_t kNonce = 8;
inline constexpr size_t kCookie = 32;  // encrypted cookie: 16 + tag
}  // namespace cookie_reply

// Offsets inside a transport data message.
namespace transport {
inline constexpr size_t kReceiver = 4;
inline constexpr size_t kCounter = 8;
inline constexpr size_t kPayload = 16;
}  // namespace transport

static_assert(initiation::kMac2 + kMacSize == kInitiationSize);
static_assert(response::kMac2 + kMacSize == kResponseSize);
static_assert(cookie_reply::kCookie + kMacSize + kTagSize == kCookieReplySize);

inline void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t get_le32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
inline uint64_t get_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

// The first four bytes of every message: the type and three zero bytes.
inline void put_header(uint8_t* p, MessageType t) {
  p[0] = static_cast<uint8_t>(t);
  p[1] = p[2] = p[3] = 0;
}
inline bool has_header(const uint8_t* p, size_t len, MessageType t, size_t size) {
  return len >= size && p[0] == static_cast<uint8_t>(t) && p[1] == 0 && p[2] == 0 && p[3] == 0;
}

// The AEAD nonce of handshake and transport messages: 32 zero bits, then the counter, little-endian.
inline void counter_nonce(uint64_t counter, uint8_t out[12]) {
  std::memset(out, 0, 4);
  put_le64(out + 4, counter);
}

}  // namespace wansteer::wg
