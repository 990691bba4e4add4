// The timer rules as wireguard-go and the Linux module apply them: one retransmit timer while a handshake is
// unanswered, a passive keepalive after receiving, a new handshake after sending into silence, key zeroing.
#include "control/overlay/wg_timers.hpp"

#include "dataplane/overlay/replay_window.hpp"

namespace wansteer::wg {

bool rekey_due_after_send(const KeypairUse& kp, uint64_t now_ns, uint64_t rekey_after_ns) {
  return kp.send_counter > kRekeyAfterMessages || (kp.we_initiated && now_ns - kp.created_ns > rekey_after_ns);
}

bool rekey_due_after_receive(const KeypairUse& kp, uint64_t now_ns) {
  return kp.we_initiated && now_ns - kp.created_ns > kRejectAfterTimeNs - kKeepaliveTimeoutNs - kRekeyTimeoutNs;
}

bool keypair_usable(const KeypairUse& kp, uint64_t now_ns) {
  return now_ns - kp.created_ns < kRejectAfterTimeNs && kp.send_counter < kRejectAfterMessages;
}

void WgTimers::on_initiation_sent(uint64_t now_ns, uint64_t jitter_ns, bool retry) {
  if (!retry) attempts_ = 0;
  last_initiation_ns_ = now_ns;
  initiated_ = true;
  retransmit_.arm(now_ns + kRekeyTimeoutNs + jitter_ns);
}

bool WgTimers::may_initiate(uint64_t now_ns) const {
  return !initiated_ || now_ns - last_initiation_ns_ >= kRekeyTimeoutNs;
}

void WgTimers::on_handshake_complete(uint64_t now_ns) {
  retransmit_.armed = false;
  attempts_ = 0;
  last_handshake_ns_ = now_ns;
}

void WgTimers::on_session_derived(uint64_t now_ns) { zero_keys_.arm(now_ns + 3 * kRejectAfterTimeNs); }

void WgTimers::on_data_sent(uint64_t now_ns) {
  if (!new_handshake_.armed) new_handshake_.arm(now_ns + kKeepaliveTimeoutNs + kRekeyTimeoutNs);
}

void WgTimers::on_data_received(uint64_t now_ns) {
  if (!keepalive_.armed)
    keepalive_.arm(now_ns + kKeepaliveTimeoutNs);
  else
    keepalive_needed_ = true;
}

void WgTimers::on_authenticated_sent(uint64_t) { keepalive_.armed = false; }

void WgTimers::on_authenticated_received(uint64_t) { new_handshake_.armed = false; }

void WgTimers::on_authenticated_traversal(uint64_t now_ns) {
  if (persistent_keepalive_ns_ > 0) persistent_.arm(now_ns + persistent_keepalive_ns_);
}

uint8_t WgTimers::tick(uint64_t now_ns) {
  uint8_t due = kNothing;
  if (retransmit_.due(now_ns)) {
    retransmit_.armed = false;
    if (attempts_ >= kMaxHandshakeAttempts) {
      due |= kGiveUp;
      new_handshake_.armed = false;
      if (!zero_keys_.armed) zero_keys_.arm(now_ns + 3 * kRejectAfterTimeNs);
    } else {
      attempts_++;
      due |= kSendInitiation;
    }
  }
  if (keepalive_.due(now_ns)) {
    keepalive_.armed = false;
    due |= kSendKeepalive;
    if (keepalive_needed_) {
      keepalive_needed_ = false;
      keepalive_.arm(now_ns + kKeepaliveTimeoutNs);
    }
  }
  if (new_handshake_.due(now_ns)) {
    new_handshake_.armed = false;
    due |= kSendInitiation;
  }
  if (persistent_.due(now_ns)) {
    persistent_.armed = false;
    due |= kSendKeepalive;
  }
  if (zero_keys_.due(now_ns)) {
    zero_keys_.armed = false;
    due |= kZeroKeys;
  }
  return due;
}

}  // namespace wansteer::wg
