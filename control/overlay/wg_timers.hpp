// WireGuard's timer rules (whitepaper section 6) for one peer as a state machine on an injected clock (ns): events go
// in as calls, time passes through tick(), which says what is due (send an initiation, a keepalive, zero the keys).
// The caller does the sending; nothing here sleeps or reads a clock, so every rule is unit-testable.
#pragma once

#include <cstdint>

namespace wansteer::wg {

inline constexpr uint64_t kSecondNs = 1'000'000'000;
inline constexpr uint64_t kRekeyAfterMessages = uint64_t{1} << 60;
inline constexpr uint64_t kRekeyAfterTimeNs = 120 * kSecondNs;
inline constexpr uint64_t kRejectAfterTimeNs = 180 * kSecondNs;
inline constexpr uint64_t kRekeyAttemptTimeNs = 90 * kSecondNs;
inline constexpr uint64_t kRekeyTimeoutNs = 5 * kSecondNs;
inline constexpr uint64_t kKeepaliveTimeoutNs = 10 * kSecondNs;
inline constexpr unsigned kMaxHandshakeAttempts = kRekeyAttemptTimeNs / kRekeyTimeoutNs;  // 18 retries, then give up

// What tick() found due; several may be due at once (a bit set).
enum TimerAction : uint8_t {
  kNothing = 0,
  kSendInitiation = 1,  // retransmit (no answer in REKEY_TIMEOUT) or a new handshake (sent without hearing back)
  kSendKeepalive = 2,   // we received data and sent nothing for KEEPALIVE_TIMEOUT (or the persistent keepalive)
  kZeroKeys = 4,        // no new session for 3 x REJECT_AFTER_TIME: forget every key
  kGiveUp = 8,          // REKEY_ATTEMPT_TIME of unanswered initiations: stop until there is new data to send
};

// The age and use of the current sending keypair, for the per-packet rekey rules.
struct KeypairUse {
  bool we_initiated = false;
  uint64_t created_ns = 0;
  uint64_t send_counter = 0;
};

// After sending with it: a new handshake is due (by messages on either side, by age only on the initiator's).
// rekey_after_ns: REKEY_AFTER_TIME, shorter only in labs (overlay rekey_after_s); REJECT_AFTER_TIME does not move.
bool rekey_due_after_send(const KeypairUse& kp, uint64_t now_ns, uint64_t rekey_after_ns = kRekeyAfterTimeNs);
// After receiving with it: the initiator starts a handshake before the keypair would expire under it.
bool rekey_due_after_receive(const KeypairUse& kp, uint64_t now_ns);
// Whether the keypair may still send or receive at all.
bool keypair_usable(const KeypairUse& kp, uint64_t now_ns);

class WgTimers {
 public:
  // persistent_keepalive_ns 0: off.
  explicit WgTimers(uint64_t persistent_keepalive_ns = 0) : persistent_keepalive_ns_(persistent_keepalive_ns) {}

  // An initiation went out (retry: sent because tick() asked for a retransmit). jitter_ns: up to a third of a second,
  // so that peers do not retry in lockstep.
  void on_initiation_sent(uint64_t now_ns, uint64_t jitter_ns, bool retry);
  // Whether an initiation may go out now (at most one per REKEY_TIMEOUT).
  bool may_initiate(uint64_t now_ns) const;
  void on_handshake_complete(uint64_t now_ns);
  void on_session_derived(uint64_t now_ns);
  void on_data_sent(uint64_t now_ns);
  void on_data_received(uint64_t now_ns);
  void on_authenticated_sent(uint64_t now_ns);
  void on_authenticated_received(uint64_t now_ns);
  void on_authenticated_traversal(uint64_t now_ns);  // any authenticated packet in or out (persistent keepalive)

  uint8_t tick(uint64_t now_ns);
  unsigned handshake_attempts() const { return attempts_; }
  bool handshake_pending() const { return retransmit_.armed; }
  uint64_t last_handshake_ns() const { return last_handshake_ns_; }

 private:
  struct Timer {
    uint64_t at = 0;
    bool armed = false;
    void arm(uint64_t t) { at = t, armed = true; }
    bool due(uint64_t now) const { return armed && now >= at; }
  };
  Timer retransmit_, keepalive_, new_handshake_, zero_keys_, persistent_;
  uint64_t persistent_keepalive_ns_;
  uint64_t last_initiation_ns_ = 0;
  bool initiated_ = false;
  bool keepalive_needed_ = false;
  unsigned attempts_ = 0;
  uint64_t last_handshake_ns_ = 0;
};

}  // namespace wansteer::wg
