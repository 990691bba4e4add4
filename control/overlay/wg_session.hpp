// One WireGuard peer session on the control thread: the handshake (HandshakePeer), the timers (WgTimers), WireGuard's
// keypair slots (current, previous, next) and a rate limit on incoming handshakes. Bytes in, bytes out, times passed
// in (no sockets, no clock); what workers need comes out as an immutable PeerKeysView to publish in the snapshot.
//
// What the worker overlay stage needs from this (the next step):
// - Encrypt (LAN -> overlay): view().send, null meaning drop and count "no key"; per core and per burst a
//   CounterLease on send->counter (take() per packet, end_burst() after the burst; take() false: drop, key exhausted);
//   seal_transport_at(send_key, remote_index, counter). Count per core the messages sealed (data, not keepalives).
// - Decrypt (WAN -> LAN): view().receiving(receiver index of the message); per core a PeerReplayWindows, whose
//   window_for() keeps a window per keypair serial (a keypair moves from next to current to previous, its window
//   with it); open_transport_with(). Count per core, per keypair, the messages opened (data or keepalive).
// - Control, each loop: hand those counts to on_sent() / on_received() (a first message on the "next" keypair is the
//   confirmation that makes it current), call want_keys() when workers dropped for lack of a key, tick(), send what
//   comes out (to the peer's endpoint: handshake messages go over the control ring), and publish a new snapshot when
//   view_generation() moved. Handshake messages from the peer (types 1-3) go to handle_handshake().
// - Duplication across links and receive on several cores: one keypair's replay window per core drops a copy only
//   when both copies reach the same core; deduplicating copies that arrive over two links needs them on one core
//   (or a shared window).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "control/overlay/handshake_peer.hpp"
#include "control/overlay/wg_timers.hpp"
#include "dataplane/overlay/chacha_poly.hpp"
#include "dataplane/overlay/transport_keys.hpp"

namespace wansteer::wg {

// Every message a session sends fits this: initiation 148, response 92, cookie reply 64, keepalive 32 bytes.
inline constexpr size_t kSessionOutSize = kInitiationSize;

struct SessionConfig {
  PeerConfig peer;
  uint64_t persistent_keepalive_ns = 0;  // 0: off
  // REKEY_AFTER_TIME. Labs shorten it (policy overlay rekey_after_s) to see rekeys under traffic; REJECT_AFTER_TIME
  // (180 s) stays, so a shorter interval only renews keys earlier. Each interval costs a handshake.
  uint64_t rekey_after_ns = kRekeyAfterTimeNs;
  // Incoming handshake messages that cost Diffie-Hellman work, per second and in a burst (wireguard-go lets 20/s and
  // a burst of 5 through per source); beyond it they are answered with cookie replies (under load).
  double handshakes_per_second = 20;
  double handshake_burst = 5;
};

struct SessionCounters {
  uint64_t initiations_sent = 0;      // retries included
  uint64_t responses_sent = 0;        // initiations from the peer answered
  uint64_t handshakes_completed = 0;  // a new keypair became current (either role)
  uint64_t rekeys = 0;                // of those, replacing a current keypair
  uint64_t cookie_replies_sent = 0;   // handshake messages beyond the rate limit without a valid mac2
  uint64_t rejected = 0;              // handshake messages refused: bad mac1, failed authentication, replayed
  uint64_t keys_expired = 0;          // keypairs dropped on REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES
  uint64_t keys_zeroed = 0;           // every key forgotten: 3 x REJECT_AFTER_TIME without a new session
};

class WgSession {
 public:
  // False in *ok when the handshake could not be set up (libcrypto) or no AEAD context; the session then sends nothing.
  WgSession(const SessionConfig& config, bool* ok);

  // A handshake message (initiation, response or cookie reply) from source (address and port bytes). out takes
  // kSessionOutSize bytes; *out_len > 0: send them back to source (a response, a cookie reply, or the keepalive with
  // which the initiator confirms a completed handshake).
  HandshakeOutcome handle_handshake(const uint8_t* msg, size_t len, Bytes source, uint64_t now_ns, uint8_t* out,
                                    size_t* out_len);
  // Workers opened authenticated transport messages with the keypair of local_index since the last report (data:
  // not only keepalives). The first with the responder's "next" keypair makes it current.
  void on_received(uint32_t local_index, bool data, uint64_t now_ns);
  // Workers sealed transport messages since the last report (data: not only keepalives).
  void on_sent(bool data, uint64_t now_ns);
  // Data is waiting and there is no key to seal it: a handshake starts at the next tick (rate allowing).
  void want_keys(uint64_t now_ns);
  // The overlay is a path the planner counts on even while idle: a handshake starts (at the next tick) once the
  // current keypair is rekey_after old (REKEY_AFTER_TIME), so its successor is ready before REJECT_AFTER_TIME ends the
  // old one.
  // WireGuard itself lets an idle session lapse and starts a new one with the next packet; for a path whose loss
  // moves classes, the keys never lapsing is worth one handshake every two minutes.
  void keep_keys_fresh(uint64_t now_ns);
  // Time passes: expires keypairs, runs the timers. *out_len > 0: send out's bytes to the peer's endpoint (an
  // initiation or a keepalive). jitter_ns: up to a third of a second, random, for retransmitted initiations.
  void tick(uint64_t now_ns, uint64_t unix_ns, uint64_t jitter_ns, uint8_t* out, size_t* out_len);
  // A reload changed the interval: applies from the current keypair on, the session and its keys stay.
  void set_rekey_after(uint64_t ns) { config_.rekey_after_ns = ns; }

  const PeerKeysView& view() const { return view_; }
  uint64_t view_generation() const { return generation_; }  // moves whenever view() changes: publish then
  const SessionCounters& counters() const { return counters_; }
  uint64_t last_handshake_ns() const { return timers_.last_handshake_ns(); }

 private:
  using KeysPtr = std::shared_ptr<const TransportKeys>;
  void install(const SessionKeys& keys, uint64_t now_ns);
  void confirm_next(uint64_t now_ns);
  void expire(uint64_t now_ns);
  void forget_all();
  void changed();
  bool seal_keepalive(uint64_t now_ns, uint8_t* out, size_t* out_len);
  void note_sent_authenticated(uint64_t now_ns);
  bool take_handshake_token(uint64_t now_ns);
  bool handshake_token_left(uint64_t now_ns);

  SessionConfig config_;
  HandshakePeer handshake_;
  WgTimers timers_;
  ChaChaPoly aead_;  // for keepalives sealed here
  KeysPtr current_, previous_, next_;
  PeerKeysView view_;
  uint64_t generation_ = 0;
  SessionCounters counters_;
  bool want_initiation_ = false;
  double tokens_ = 0;
  uint64_t tokens_at_ns_ = 0;
  bool ok_ = false;
};

}  // namespace wansteer::wg
