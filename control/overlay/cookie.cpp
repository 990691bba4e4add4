// mac1/mac2 and cookie replies. Both handshake messages end in mac1 then mac2, so offsets come from the length.
#include "control/overlay/cookie.hpp"

#include <openssl/crypto.h>
#include <sodium.h>

#include <cstring>
#include <string_view>

#include "control/overlay/xchacha_poly.hpp"

namespace wansteer::wg {

namespace {

bool handshake_length(size_t len) { return len == kInitiationSize || len == kResponseSize; }
size_t mac1_offset(size_t len) { return len - 2 * kMacSize; }
size_t mac2_offset(size_t len) { return len - kMacSize; }

}  // namespace

bool derive_mac_keys(const Key& public_key, MacKeys* out) {
  return blake2s_hash({bytes_of("mac1----"), bytes_of(public_key)}, &out->mac1) &&
         blake2s_hash({bytes_of("cookie--"), bytes_of(public_key)}, &out->cookie);
}

bool CookieJar::add_macs(uint8_t* msg, size_t len, uint64_t now_ns) {
  if (!handshake_length(len)) return false;
  Mac16 mac1{};
  if (!keyed_blake2s_128(bytes_of(peer_.mac1), Bytes(msg, mac1_offset(len)), &mac1)) return false;
  std::memcpy(msg + mac1_offset(len), mac1.data(), kMacSize);
  last_mac1_ = mac1;
  sent_mac1_ = true;
  Mac16 mac2{};
  if (has_fresh_cookie(now_ns) &&
      !keyed_blake2s_128(Bytes(cookie_.data(), cookie_.size()), Bytes(msg, mac2_offset(len)), &mac2))
    return false;
  std::memcpy(msg + mac2_offset(len), mac2.data(), kMacSize);
  return true;
}

bool CookieJar::consume_reply(const uint8_t* msg, size_t len, uint64_t now_ns) {
  if (!has_header(msg, len, MessageType::cookie_reply, kCookieReplySize) || len != kCookieReplySize || !sent_mac1_)
    return false;
  Mac16 cookie{};
  if (!xchacha_open(peer_.cookie.data(), msg + cookie_reply::kNonce, last_mac1_.data(), kMacSize,
                    msg + cookie_reply::kCookie, kMacSize, cookie.data()))
    return false;
  cookie_ = cookie;
  cookie_at_ns_ = now_ns;
  have_cookie_ = true;
  return true;
}

bool CookieJar::has_fresh_cookie(uint64_t now_ns) const {
  return have_cookie_ && now_ns - cookie_at_ns_ < kCookieSecretMaxAgeNs - kCookieSecretLatencyNs;
}

bool CookieChecker::mac1_ok(const uint8_t* msg, size_t len) const {
  if (!handshake_length(len)) return false;
  Mac16 mac1{};
  return keyed_blake2s_128(bytes_of(own_.mac1), Bytes(msg, mac1_offset(len)), &mac1) &&
         CRYPTO_memcmp(mac1.data(), msg + mac1_offset(len), kMacSize) == 0;
}

bool CookieChecker::cookie_for(Bytes source, uint64_t now_ns, Mac16* out) {
  if (sodium_init() < 0) return false;
  if (!have_secret_ || now_ns - secret_at_ns_ >= kCookieSecretMaxAgeNs) {
    randombytes_buf(secret_.data(), secret_.size());
    secret_at_ns_ = now_ns;
    have_secret_ = true;
  }
  return keyed_blake2s_128(bytes_of(secret_), source, out);
}

bool CookieChecker::mac2_ok(const uint8_t* msg, size_t len, Bytes source, uint64_t now_ns) {
  if (!handshake_length(len)) return false;
  Mac16 cookie{}, mac2{};
  const bool ok = cookie_for(source, now_ns, &cookie) &&
                  keyed_blake2s_128(Bytes(cookie.data(), cookie.size()), Bytes(msg, mac2_offset(len)), &mac2) &&
                  CRYPTO_memcmp(mac2.data(), msg + mac2_offset(len), kMacSize) == 0;
  OPENSSL_cleanse(cookie.data(), cookie.size());
  return ok;
}

bool CookieChecker::make_reply(const uint8_t* msg, size_t len, Bytes source, uint64_t now_ns,
                               uint8_t out[kCookieReplySize]) {
  if (!handshake_length(len)) return false;
  Mac16 cookie{};
  if (!cookie_for(source, now_ns, &cookie)) return false;
  put_header(out, MessageType::cookie_reply);
  std::memcpy(out + cookie_reply::kReceiver, msg + 4, 4);  // both handshake messages carry their sender index at 4
  randombytes_buf(out + cookie_reply::kNonce, kXNonceSize);
  const bool ok = xchacha_seal(own_.cookie.data(), out + cookie_reply::kNonce, msg + mac1_offset(len), kMacSize,
                               cookie.data(), kMacSize, out + cookie_reply::kCookie);
  OPENSSL_cleanse(cookie.data(), cookie.size());
  return ok;
}

}  // namespace wansteer::wg
