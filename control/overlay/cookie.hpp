// WireGuard's DoS defence (whitepaper 5.3, 5.4.4, 5.4.7): mac1 on every handshake message (proves knowledge of the
// receiver's public key), and under load mac2, a MAC keyed by a cookie the receiver sent in an XChaCha20-Poly1305
// cookie reply, bound to the sender's address and a secret that changes every two minutes. Clock injected (ns).
#pragma once

#include <cstddef>
#include <cstdint>

#include "control/overlay/blake2s.hpp"

namespace wansteer::wg {

inline constexpr uint64_t kCookieSecretMaxAgeNs = 120'000'000'000;  // the receiver's secret changes this often
inline constexpr uint64_t kCookieSecretLatencyNs = 5'000'000'000;   // the sender drops a cookie this much earlier

// The two keys derived from a public key: mac1's and the cookie reply's.
struct MacKeys {
  Key mac1{};    // HASH("mac1----" || public)
  Key cookie{};  // HASH("cookie--" || public)
};
bool derive_mac_keys(const Key& public_key, MacKeys* out);

// The sender side, one per peer: writes mac1 (and mac2 while it holds a fresh cookie) into handshake messages it
// sends, and takes the cookie out of a reply to the last one.
class CookieJar {
 public:
  explicit CookieJar(const MacKeys& peer) : peer_(peer) {}
  // msg is a whole initiation or response; its last 32 bytes are mac1 and mac2.
  bool add_macs(uint8_t* msg, size_t len, uint64_t now_ns);
  bool consume_reply(const uint8_t* msg, size_t len, uint64_t now_ns);
  bool has_fresh_cookie(uint64_t now_ns) const;

 private:
  MacKeys peer_;
  Mac16 last_mac1_{};
  bool sent_mac1_ = false;
  Mac16 cookie_{};
  uint64_t cookie_at_ns_ = 0;
  bool have_cookie_ = false;
};

// The receiver side: checks mac1 and mac2 of handshake messages to us and makes cookie replies.
class CookieChecker {
 public:
  explicit CookieChecker(const MacKeys& own) : own_(own) {}
  bool mac1_ok(const uint8_t* msg, size_t len) const;
  // source: the sender's address and port as bytes, the same each time for one sender.
  bool mac2_ok(const uint8_t* msg, size_t len, Bytes source, uint64_t now_ns);
  // A cookie reply (kCookieReplySize bytes) to msg, which must have passed mac1_ok.
  bool make_reply(const uint8_t* msg, size_t len, Bytes source, uint64_t now_ns, uint8_t out[kCookieReplySize]);

 private:
  bool cookie_for(Bytes source, uint64_t now_ns, Mac16* out);
  MacKeys own_;
  Key secret_{};
  uint64_t secret_at_ns_ = 0;
  bool have_secret_ = false;
};

}  // namespace wansteer::wg
