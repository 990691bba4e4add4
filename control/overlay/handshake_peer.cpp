// Order of checks as the whitepaper asks: mac1 first (cheap, before any DH), then mac2 when under load, then the
// Noise messages; a replayed initiation (timestamp not newer) is refused after it authenticates.
#include "control/overlay/handshake_peer.hpp"

#include <openssl/crypto.h>
#include <sodium.h>

#include <cstring>

namespace wansteer::wg {

namespace {

MacKeys keys_of(const Key& public_key, bool* ok) {
  MacKeys k;
  *ok = derive_mac_keys(public_key, &k) && *ok;
  return k;
}

uint32_t random_index() {
  uint32_t v = 0;
  if (sodium_init() >= 0) randombytes_buf(&v, sizeof v);
  return v;
}

}  // namespace

HandshakePeer::HandshakePeer(const PeerConfig& config, bool* ok)
    : config_(config),
      jar_(keys_of(config.peer_public, (*ok = true, ok))),
      checker_(keys_of(config.local.public_key, ok)),
      ok_(*ok) {}

bool HandshakePeer::make_initiation(uint64_t now_ns, uint64_t unix_ns, uint8_t out[kInitiationSize]) {
  if (!ok_) return false;
  InitiatorState st;
  if (!create_initiation(config_.local, config_.peer_public, random_index(), tai64n(unix_ns), out, &st) ||
      !jar_.add_macs(out, kInitiationSize, now_ns))
    return false;
  pending_ = st;
  return true;
}

HandshakeOutcome HandshakePeer::handle(const uint8_t* msg, size_t len, Bytes source, bool under_load, uint64_t now_ns,
                                       uint8_t* reply, size_t* reply_len) {
  if (!ok_ || len < 4) return HandshakeOutcome::ignored;
  const auto type = static_cast<MessageType>(msg[0]);
  if (type == MessageType::cookie_reply) {
    if (!pending_ || len != kCookieReplySize || get_le32(msg + cookie_reply::kReceiver) != pending_->sender_index)
      return HandshakeOutcome::ignored;
    return jar_.consume_reply(msg, len, now_ns) ? HandshakeOutcome::cookie_taken : HandshakeOutcome::rejected;
  }
  if (type != MessageType::initiation && type != MessageType::response) return HandshakeOutcome::ignored;
  if (!checker_.mac1_ok(msg, len)) return HandshakeOutcome::bad_mac1;
  if (under_load && !checker_.mac2_ok(msg, len, source, now_ns)) {
    if (!checker_.make_reply(msg, len, source, now_ns, reply)) return HandshakeOutcome::rejected;
    *reply_len = kCookieReplySize;
    return HandshakeOutcome::cookie_sent;
  }
  if (type == MessageType::initiation) return handle_initiation(msg, len, now_ns, reply, reply_len);
  return handle_response(msg, len, now_ns);
}

HandshakeOutcome HandshakePeer::handle_initiation(const uint8_t* msg, size_t len, uint64_t now_ns, uint8_t* reply,
                                                  size_t* reply_len) {
  const auto seen = consume_initiation(config_.local, msg, len);
  if (!seen || CRYPTO_memcmp(seen->remote_static.data(), config_.peer_public.data(), kKeySize) != 0)
    return HandshakeOutcome::rejected;
  // TAI64N is big-endian, so byte order is time order.
  if (std::memcmp(seen->timestamp.data(), greatest_timestamp_.data(), kTimestampSize) <= 0)
    return HandshakeOutcome::rejected;
  SessionKeys keys;
  if (!create_response(*seen, config_.preshared_key, random_index(), reply, &keys) ||
      !jar_.add_macs(reply, kResponseSize, now_ns))
    return HandshakeOutcome::rejected;
  greatest_timestamp_ = seen->timestamp;
  *reply_len = kResponseSize;
  ready_ = keys;
  return HandshakeOutcome::responded;
}

HandshakeOutcome HandshakePeer::handle_response(const uint8_t* msg, size_t len, uint64_t) {
  if (!pending_) return HandshakeOutcome::ignored;
  const auto keys = consume_response(config_.local, *pending_, config_.preshared_key, msg, len);
  if (!keys) return HandshakeOutcome::rejected;
  OPENSSL_cleanse(pending_->ephemeral_private.data(), kKeySize);
  pending_.reset();  // a second copy of the response finds nothing to complete
  ready_ = keys;
  return HandshakeOutcome::completed;
}

std::optional<SessionKeys> HandshakePeer::take_session() {
  auto s = ready_;
  ready_.reset();
  return s;
}

}  // namespace wansteer::wg
