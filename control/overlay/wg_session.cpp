// Keypair rotation as wireguard-go does it (noise.go BeginSymmetricSession, ReceivedWithKeypair): the initiator's new
// keypair is current at once, the responder's waits in next until the peer uses it; timers drive rekeys and expiry.
#include "control/overlay/wg_session.hpp"

#include <algorithm>
#include <atomic>

#include "dataplane/overlay/transport.hpp"

namespace wansteer::wg {

namespace {

std::atomic<uint64_t> g_keypair_serial{0};

KeypairUse use_of(const TransportKeys& k) { return {k.we_initiated, k.created_ns, k.counter.used()}; }

// The outcomes for which the handshake did Diffie-Hellman work (mac1 passed, no cookie path): they cost a token.
bool costly(HandshakeOutcome o) {
  return o == HandshakeOutcome::rejected || o == HandshakeOutcome::responded || o == HandshakeOutcome::completed;
}

}  // namespace

WgSession::WgSession(const SessionConfig& config, bool* ok)
    : config_(config),
      handshake_(config.peer, ok),
      timers_(config.persistent_keepalive_ns),
      tokens_(config.handshake_burst) {
  ok_ = *ok && aead_.valid();
  *ok = ok_;
}

bool WgSession::handshake_token_left(uint64_t now_ns) {
  if (now_ns > tokens_at_ns_) {
    const double add = static_cast<double>(now_ns - tokens_at_ns_) * 1e-9 * config_.handshakes_per_second;
    tokens_ = std::min(config_.handshake_burst, tokens_ + add);
    tokens_at_ns_ = now_ns;
  }
  return tokens_ >= 1.0;
}

bool WgSession::take_handshake_token(uint64_t now_ns) {
  if (!handshake_token_left(now_ns)) return false;
  tokens_ -= 1.0;
  return true;
}

HandshakeOutcome WgSession::handle_handshake(const uint8_t* msg, size_t len, Bytes source, uint64_t now_ns,
                                             uint8_t* out, size_t* out_len) {
  *out_len = 0;
  if (!ok_) return HandshakeOutcome::ignored;
  const bool under_load = !handshake_token_left(now_ns);
  const HandshakeOutcome r = handshake_.handle(msg, len, source, under_load, now_ns, out, out_len);
  if (costly(r)) take_handshake_token(now_ns);
  switch (r) {
    case HandshakeOutcome::cookie_sent:
      counters_.cookie_replies_sent++;
      break;
    case HandshakeOutcome::bad_mac1:
    case HandshakeOutcome::rejected:
      counters_.rejected++;
      *out_len = 0;
      break;
    case HandshakeOutcome::responded:
      if (const auto keys = handshake_.take_session()) install(*keys, now_ns);
      counters_.responses_sent++;
      timers_.on_session_derived(now_ns);
      timers_.on_authenticated_received(now_ns);
      note_sent_authenticated(now_ns);
      break;
    case HandshakeOutcome::completed:
      if (const auto keys = handshake_.take_session()) install(*keys, now_ns);
      timers_.on_session_derived(now_ns);
      timers_.on_handshake_complete(now_ns);
      timers_.on_authenticated_received(now_ns);
      // The responder may not send with the new keypair until it hears from us with it: confirm at once.
      if (seal_keepalive(now_ns, out, out_len))
        note_sent_authenticated(now_ns);
      else
        *out_len = 0;
      break;
    default:
      break;
  }
  return r;
}

void WgSession::install(const SessionKeys& keys, uint64_t now_ns) {
  auto k = std::make_shared<TransportKeys>();
  k->send_key = keys.send_key, k->recv_key = keys.recv_key;
  k->local_index = keys.local_index, k->remote_index = keys.remote_index;
  k->we_initiated = keys.we_initiated, k->created_ns = now_ns;
  k->serial = ++g_keypair_serial;
  if (keys.we_initiated) {
    // An unconfirmed next (we answered the peer meanwhile) still receives as previous; the old current goes.
    if (current_) counters_.rekeys++;
    previous_ = next_ ? std::move(next_) : std::move(current_);
    next_.reset();
    current_ = std::move(k);
    counters_.handshakes_completed++;
    want_initiation_ = false;  // asked for while the old keypair aged: this is the answer
  } else {
    next_ = std::move(k);
    previous_.reset();
  }
  changed();
}

void WgSession::confirm_next(uint64_t now_ns) {
  if (current_) counters_.rekeys++;
  previous_ = std::move(current_);
  current_ = std::move(next_);
  next_.reset();
  counters_.handshakes_completed++;
  want_initiation_ = false;
  timers_.on_handshake_complete(now_ns);
  changed();
}

void WgSession::on_received(uint32_t local_index, bool data, uint64_t now_ns) {
  if (next_ && next_->local_index == local_index) {
    confirm_next(now_ns);
  } else if (!(current_ && current_->local_index == local_index) &&
             !(previous_ && previous_->local_index == local_index)) {
    return;  // a keypair already dropped: a late report
  }
  timers_.on_authenticated_received(now_ns);
  timers_.on_authenticated_traversal(now_ns);
  if (data) timers_.on_data_received(now_ns);
  if (current_ && rekey_due_after_receive(use_of(*current_), now_ns)) want_initiation_ = true;
}

void WgSession::on_sent(bool data, uint64_t now_ns) {
  note_sent_authenticated(now_ns);
  if (data) timers_.on_data_sent(now_ns);
  if (!current_ || rekey_due_after_send(use_of(*current_), now_ns, config_.rekey_after_ns)) want_initiation_ = true;
}

void WgSession::want_keys(uint64_t) {
  if (!view_.send) want_initiation_ = true;
}

void WgSession::keep_keys_fresh(uint64_t now_ns) {
  if (!view_.send || (current_ && now_ns - current_->created_ns >= config_.rekey_after_ns)) want_initiation_ = true;
}

void WgSession::note_sent_authenticated(uint64_t now_ns) {
  timers_.on_authenticated_sent(now_ns);
  timers_.on_authenticated_traversal(now_ns);
}

void WgSession::tick(uint64_t now_ns, uint64_t unix_ns, uint64_t jitter_ns, uint8_t* out, size_t* out_len) {
  *out_len = 0;
  if (!ok_) return;
  expire(now_ns);
  const bool retrying = timers_.handshake_pending();
  const uint8_t due = timers_.tick(now_ns);
  if (due & kZeroKeys) forget_all();
  if (due & kGiveUp) want_initiation_ = false;
  const bool start = want_initiation_ && !retrying && timers_.may_initiate(now_ns);
  if (((due & kSendInitiation) || start) && handshake_.make_initiation(now_ns, unix_ns, out)) {
    *out_len = kInitiationSize;
    timers_.on_initiation_sent(now_ns, jitter_ns, retrying && (due & kSendInitiation));
    note_sent_authenticated(now_ns);
    counters_.initiations_sent++;
    want_initiation_ = false;
  } else if ((due & kSendKeepalive) && seal_keepalive(now_ns, out, out_len)) {
    note_sent_authenticated(now_ns);
  }
}

void WgSession::expire(uint64_t now_ns) {
  for (KeysPtr* slot : {&current_, &previous_, &next_}) {
    if (*slot && !keypair_usable(use_of(**slot), now_ns)) {
      slot->reset();
      counters_.keys_expired++;
      changed();
    }
  }
}

void WgSession::forget_all() {
  current_.reset(), previous_.reset(), next_.reset();
  want_initiation_ = false;
  counters_.keys_zeroed++;
  changed();
}

void WgSession::changed() {
  view_.send = current_;
  view_.receive = {current_, previous_, next_};
  generation_++;
}

bool WgSession::seal_keepalive(uint64_t now_ns, uint8_t* out, size_t* out_len) {
  if (!current_ || !keypair_usable(use_of(*current_), now_ns)) return false;
  uint64_t counter = 0;
  if (!current_->counter.reserve(1, &counter)) return false;
  return seal_transport_at(aead_, current_->send_key, current_->remote_index, counter, nullptr, 0, out, kSessionOutSize,
                           out_len) == SealResult::ok;
}

}  // namespace wansteer::wg
