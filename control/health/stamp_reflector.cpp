// StampReflector implementation: one reply per accepted test packet, numbered per session, released in order.
#include "control/health/stamp_reflector.hpp"

#include <algorithm>
#include <utility>

namespace wansteer {

namespace {
constexpr uint64_t kSweepEveryNs = 1'000'000'000ull;
}  // namespace

StampReflector::StampReflector(ReflectorSettings settings, UniformFn uniform, uint16_t own_error_estimate)
    : settings_(std::move(settings)),
      guard_(settings_.guard),
      uniform_(std::move(uniform)),
      own_error_(own_error_estimate) {}

ReflectorVerdict StampReflector::on_datagram(const StampDatagram& d, StampReply* now) {
  counters_.received++;
  ReflectorVerdict v;
  // Refused before anything is parsed or remembered: a spoofed flood costs no session state.
  switch (guard_.admit(d.from, d.rx_mono_ns)) {
    case ReflectorGuard::Verdict::denied:
      counters_.denied++;
      v.kind = ReflectorVerdict::Kind::denied;
      return v;
    case ReflectorGuard::Verdict::rate_limited:
      counters_.rate_limited++;
      v.kind = ReflectorVerdict::Kind::rate_limited;
      return v;
    case ReflectorGuard::Verdict::pass:
      break;
  }
  stamp::SenderPacket sp;
  if (!read_sender(d, &sp, &v)) return v;
  v.sender_seq = sp.seq;
  if (settings_.loss_pct > 0 && uniform_() * 100.0 < settings_.loss_pct) {
    counters_.dropped++;  // emulated forward loss: the session counter does not move
    v.kind = ReflectorVerdict::Kind::dropped;
    return v;
  }
  auto [it, created] = sessions_.try_emplace(std::string(reinterpret_cast<const char*>(&d.from), d.from_len));
  if (created) counters_.sessions++;
  Session& s = it->second;
  s.last_seen_ns = d.rx_mono_ns;

  StampReply r;
  r.order = order_++;
  r.to = d.from;
  r.to_len = d.from_len;
  r.pkt.seq = s.next_seq++;
  r.pkt.error_estimate = own_error_;
  r.pkt.receive_timestamp = stamp::ntp_from_unix_ns(d.rx_realtime_ns);
  r.pkt.sender_seq = sp.seq;
  r.pkt.sender_timestamp = sp.timestamp;
  r.pkt.sender_error_estimate = sp.error_estimate;
  r.pkt.sender_ttl = static_cast<uint8_t>(d.ttl);
  if (settings_.auth_key.empty()) r.tail.assign(d.data + stamp::kPacketSize, d.data + d.len);
  const double jitter = settings_.jitter_ms > 0 ? (uniform_() * 2 - 1) * settings_.jitter_ms : 0;
  const double hold_ms = settings_.delay_ms + jitter;
  v.reply_seq = r.pkt.seq;
  v.hold_ms = std::max(hold_ms, 0.0);
  if (hold_ms <= 0) {
    v.kind = ReflectorVerdict::Kind::send_now;
    *now = std::move(r);
  } else {
    v.kind = ReflectorVerdict::Kind::held;
    r.release_ns = d.rx_mono_ns + static_cast<uint64_t>(hold_ms * 1e6);
    queue_.push(std::move(r));
  }
  return v;
}

bool StampReflector::read_sender(const StampDatagram& d, stamp::SenderPacket* sp, ReflectorVerdict* v) {
  if (settings_.auth_key.empty()) {
    if (stamp::decode_sender(d.data, d.len, sp)) return true;
    counters_.short_packets++;
    v->kind = ReflectorVerdict::Kind::too_short;
    return false;
  }
  // Authenticated mode answers nothing it cannot verify: an unauthenticated or forged packet gets no reply, so the
  // reflector cannot be made to vouch for a path by someone without the key.
  switch (stamp::decode_sender_auth(d.data, d.len, settings_.auth_key, sp)) {
    case stamp::AuthCheck::ok:
      return true;
    case stamp::AuthCheck::bad_length:
      counters_.unauthenticated++;
      v->kind = ReflectorVerdict::Kind::unauthenticated;
      return false;
    case stamp::AuthCheck::bad_hmac:
      break;
  }
  counters_.bad_hmac++;
  v->kind = ReflectorVerdict::Kind::bad_hmac;
  return false;
}

bool StampReflector::pop_due(uint64_t now_mono_ns, StampReply* out) {
  if (queue_.empty() || queue_.top().release_ns > now_mono_ns) return false;
  *out = queue_.top();
  queue_.pop();
  return true;
}

int StampReflector::wait_ms(uint64_t now_mono_ns, int cap_ms) const {
  if (queue_.empty()) return cap_ms;
  const uint64_t due = queue_.top().release_ns;
  if (due <= now_mono_ns) return 0;
  return static_cast<int>(std::min<uint64_t>((due - now_mono_ns + 999'999) / 1'000'000, static_cast<uint64_t>(cap_ms)));
}

void StampReflector::expire_idle(uint64_t now_mono_ns) {
  if (next_sweep_ns_ == 0) next_sweep_ns_ = now_mono_ns + kSweepEveryNs;
  if (now_mono_ns < next_sweep_ns_) return;
  const uint64_t idle = settings_.session_idle_ns;
  std::erase_if(sessions_, [&](const auto& kv) { return now_mono_ns - kv.second.last_seen_ns >= idle; });
  guard_.expire(now_mono_ns, kSweepEveryNs * 10);  // a bucket idle for 10 s is full again anyway
  next_sweep_ns_ = now_mono_ns + kSweepEveryNs;
}

size_t StampReflector::encode(StampReply& r, uint64_t tx_realtime_ns, uint8_t* buf) const {
  r.pkt.timestamp = stamp::ntp_from_unix_ns(tx_realtime_ns);
  if (!settings_.auth_key.empty()) {
    stamp::encode_reflector_auth(r.pkt, settings_.auth_key, buf);
    return stamp::kAuthPacketSize;
  }
  stamp::encode_reflector(r.pkt, buf);
  std::copy(r.tail.begin(), r.tail.end(), buf + stamp::kPacketSize);
  return stamp::kPacketSize + r.tail.size();
}

}  // namespace wansteer
