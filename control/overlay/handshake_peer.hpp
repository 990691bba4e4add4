// The handshake side of one WireGuard peer, on the control thread: makes initiations (with mac1/mac2), answers
// initiations from the peer, reads responses and cookie replies, and hands out the keys of each completed handshake.
// No sockets and no clock of its own: bytes in, bytes out, times passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "control/overlay/cookie.hpp"
#include "control/overlay/noise_handshake.hpp"

namespace wansteer::wg {

struct PeerConfig {
  Identity local;
  Key peer_public{};
  Key preshared_key{};  // all zero when none is configured, as WireGuard does
};

enum class HandshakeOutcome : uint8_t {
  ignored,       // not a handshake message, or a response/cookie reply to nothing we sent
  bad_mac1,      // dropped before any DH: not for our public key
  cookie_sent,   // under load without a valid mac2: *reply is a cookie reply
  cookie_taken,  // a cookie reply to our initiation: the next one carries mac2
  rejected,      // failed to authenticate, from another key, or an old (replayed) initiation
  responded,     // *reply is our response; take_session() has the responder's keys
  completed,     // the response to our initiation: take_session() has the initiator's keys
};

class HandshakePeer {
 public:
  // False in *ok when a key derivation failed (libcrypto); the peer then refuses every message.
  HandshakePeer(const PeerConfig& config, bool* ok);

  // A fresh initiation with a new sender index (any earlier unanswered one is forgotten).
  bool make_initiation(uint64_t now_ns, uint64_t unix_ns, uint8_t out[kInitiationSize]);
  // Handles a handshake message from source (address and port bytes, for cookies). reply needs kInitiationSize bytes.
  HandshakeOutcome handle(const uint8_t* msg, size_t len, Bytes source, bool under_load, uint64_t now_ns,
                          uint8_t* reply, size_t* reply_len);
  // The keys of the last completed handshake, once.
  std::optional<SessionKeys> take_session();

 private:
  HandshakeOutcome handle_initiation(const uint8_t* msg, size_t len, uint64_t now_ns, uint8_t* reply,
                                     size_t* reply_len);
  HandshakeOutcome handle_response(const uint8_t* msg, size_t len, uint64_t now_ns);

  PeerConfig config_;
  CookieJar jar_;
  CookieChecker checker_;
  std::optional<InitiatorState> pending_;
  Tai64n greatest_timestamp_{};  // initiations not newer than this are replays
  std::optional<SessionKeys> ready_;
  bool ok_ = false;
};

}  // namespace wansteer::wg
