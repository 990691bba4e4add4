// Link health estimators and state machines: loss window, RTT EWMA, RFC 3550 jitter, STAMP forward/reverse loss
// split, liveness with hold-down, SLA gates. All times are caller-supplied nanoseconds (injected clock).
#include "control/health/link_health.hpp"

#include <algorithm>
#include <cmath>

namespace wansteer {

namespace {

// seq a is in [from, to) with uint32 wrap-around.
bool seq_in(uint32_t a, uint32_t from, uint32_t to) { return uint32_t(a - from) < uint32_t(to - from); }

// a is newer than b (serial number arithmetic, RFC 1982 style).
bool seq_newer(uint32_t a, uint32_t b) {
  uint32_t d = a - b;
  return d != 0 && d < 0x80000000u;
}

// A run of outstanding probes that can never be answered must not grow without bound if tick() is never called.
constexpr size_t kMaxPending = 1u << 16;

}  // namespace

// ---- TargetEstimator ----

TargetEstimator::TargetEstimator(const HealthConfig& cfg) : cfg_(cfg) {}

void TargetEstimator::on_sent(uint32_t seq, uint64_t now_ns) {
  probes_sent_++;
  pending_.push_back({seq, now_ns});
  if (pending_.size() > kMaxPending) lose_oldest_pending();
}

void TargetEstimator::lose_oldest_pending() {
  record({pending_.front().seq, pending_tag(pending_.front().seq), 0});
  probes_lost_++;
  pending_.pop_front();
}

void TargetEstimator::tick(uint64_t now_ns) {
  const uint64_t timeout = cfg_.reply_timeout_ns();
  while (!pending_.empty() && now_ns >= pending_.front().sent_ns && now_ns - pending_.front().sent_ns >= timeout)
    lose_oldest_pending();
}

void TargetEstimator::on_reply(uint32_t seq, uint64_t now_ns, uint64_t rtt_ns, std::optional<uint32_t> reflector_seq) {
  tick(now_ns);  // a reply at or past the timeout is late: its probe becomes lost first, then is not found below
  // Late (or voided by a stall) or not: the line answered, which is all liveness asks. Only the caller knows the
  // probe was ours (the Prober matches its own pending slot), so a duplicate here just repeats that news.
  if (last_reply_ns_ == 0 || (now_ns > last_reply_ns_ && now_ns - last_reply_ns_ >= cfg_.detect_ns()))
    streak_start_ns_ = now_ns;
  last_reply_ns_ = std::max(last_reply_ns_, now_ns);
  auto it = std::find_if(pending_.begin(), pending_.end(), [seq](const Pending& p) { return p.seq == seq; });
  if (it == pending_.end()) return;  // late, voided or duplicate: neither a loss nor an RTT sample
  const uint64_t sent_ns = it->sent_ns;
  pending_.erase(it);
  // RACK: what was sent a reorder window before this probe and is still unanswered is lost, not just late.
  const uint64_t reorder_ns = static_cast<uint64_t>(std::max(kMinReorderMs, srtt_ms_ / 4) * 1e6);
  while (!pending_.empty() && pending_.front().sent_ns + reorder_ns <= sent_ns) lose_oldest_pending();
  std::erase_if(early_tags_, [seq](const auto& t) { return t.first == seq; });  // reordered: it was not lost
  replies_++;

  const double rtt_ms = double(rtt_ns) / 1e6;
  if (has_rtt_) {
    // RFC 3550 section 6.4.1 with the RTT as transit time: D = difference of consecutive samples.
    jitter_ms_ += (std::fabs(rtt_ms - last_rtt_ms_) - jitter_ms_) / 16.0;
    srtt_ms_ += (rtt_ms - srtt_ms_) / 8.0;  // RFC 6298 SRTT, alpha 1/8
  } else {
    srtt_ms_ = rtt_ms;
    has_rtt_ = true;
  }
  last_rtt_ms_ = rtt_ms;
  record({seq, Fate::replied, rtt_ms});

  if (!reflector_seq) return;
  if (!last_stamp_) {
    last_stamp_ = {seq, *reflector_seq};
    return;
  }
  auto [s0, r0] = *last_stamp_;
  if (!seq_newer(seq, s0)) return;  // reordered reply: the reference stays on the newest one
  const uint32_t ds = seq - s0, dr = *reflector_seq - r0;
  if (dr >= 1 && dr <= ds && ds > 1) tag_gap(s0 + 1, seq, ds - dr);
  // dr == 0 or dr > ds: reflector restarted or its session was forgotten; no inference for this gap.
  last_stamp_ = {seq, *reflector_seq};
}

void TargetEstimator::excuse(uint64_t from_ns, uint64_t to_ns) {
  if (to_ns <= from_ns) return;
  const uint64_t timeout = cfg_.reply_timeout_ns();
  // Probes whose timeout fell before the stall were decided while the edge ran (tick() may not have run yet).
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->sent_ns + timeout <= from_ns) {
      ++it;
      continue;
    }
    const uint32_t seq = it->seq;
    std::erase_if(early_tags_, [seq](const auto& t) { return t.first == seq; });
    it = pending_.erase(it);
    voided_++;
  }
  // Silence before the stall keeps counting, the stall does not; a reply heard during it counts from its end.
  if (last_reply_ns_ != 0 && last_reply_ns_ < to_ns)
    last_reply_ns_ = std::min(last_reply_ns_ + (to_ns - from_ns), to_ns);
}

void TargetEstimator::tag_gap(uint32_t from_seq, uint32_t to_seq, uint32_t fwd_count) {
  // Oldest first: already-lost probes in the window (they timed out), then those still pending.
  for (Outcome& o : window_) {
    if (o.fate != Fate::lost || !seq_in(o.seq, from_seq, to_seq)) continue;
    o.fate = fwd_count > 0 ? Fate::lost_fwd : Fate::lost_rev;
    if (fwd_count > 0) fwd_count--;
  }
  for (const Pending& p : pending_) {
    if (!seq_in(p.seq, from_seq, to_seq)) continue;
    early_tags_.emplace_back(p.seq, fwd_count > 0 ? Fate::lost_fwd : Fate::lost_rev);
    if (fwd_count > 0) fwd_count--;
  }
}

TargetEstimator::Fate TargetEstimator::pending_tag(uint32_t seq) {
  auto it = std::find_if(early_tags_.begin(), early_tags_.end(), [seq](const auto& t) { return t.first == seq; });
  if (it == early_tags_.end()) return Fate::lost;
  Fate f = it->second;
  early_tags_.erase(it);
  return f;
}

void TargetEstimator::forget_losses() {
  // Keep the replies (the hold-down's good samples), drop the probes the outage swallowed.
  std::erase_if(window_, [](const Outcome& o) { return o.fate != Fate::replied; });
  early_tags_.clear();
  losses_.forget();
}

void TargetEstimator::record(const Outcome& o) {
  losses_.on_outcome(o.fate != Fate::replied);
  window_.push_back(o);
  while (window_.size() > cfg_.loss_window) window_.pop_front();
}

uint32_t TargetEstimator::window_lost() const {
  return uint32_t(
      std::count_if(window_.begin(), window_.end(), [](const Outcome& o) { return o.fate != Fate::replied; }));
}

LinkMetrics TargetEstimator::metrics() const {
  LinkMetrics m;
  uint32_t lost = 0, fwd = 0, rev = 0;
  for (const Outcome& o : window_) {
    switch (o.fate) {
      case Fate::replied:
        m.rtt_max_ms = std::max(m.rtt_max_ms, o.rtt_ms);
        break;
      case Fate::lost_fwd:
        fwd++;
        lost++;
        break;
      case Fate::lost_rev:
        rev++;
        lost++;
        break;
      case Fate::lost:
        lost++;
        break;
    }
  }
  m.samples = uint32_t(window_.size());
  if (m.samples > 0) {
    m.loss_pct = 100.0 * lost / m.samples;
    m.fwd_loss_pct = 100.0 * fwd / m.samples;
    m.rev_loss_pct = 100.0 * rev / m.samples;
  }
  m.rtt_ms = srtt_ms_;
  m.jitter_ms = jitter_ms_;
  m.has_rtt = has_rtt_;
  m.probes_sent = probes_sent_;
  m.probes_lost = probes_lost_;
  m.replies = replies_;
  return m;
}

uint64_t TargetEstimator::last_reply_ns() const { return last_reply_ns_; }

// ---- LinkLiveness ----

LinkLiveness::LinkLiveness(const HealthConfig& cfg, size_t n_targets)
    : cfg_(cfg), targets_(n_targets, TargetEstimator(cfg)), grace_from_ns_(n_targets, 0) {}

TargetEstimator& LinkLiveness::target(size_t i) { return targets_.at(i); }
const TargetEstimator& LinkLiveness::target(size_t i) const { return targets_.at(i); }

void LinkLiveness::set_interval(uint32_t interval_ms, uint64_t now_ns) {
  for (size_t i = 0; i < targets_.size(); i++) grace_from_ns_[i] = target_live(i, now_ns) ? now_ns : 0;
  cfg_.interval_ms = interval_ms;
  for (auto& t : targets_) t.set_interval(interval_ms);
}

bool LinkLiveness::target_live(size_t i, uint64_t now_ns) const {
  uint64_t last = targets_[i].last_reply_ns();
  if (last == 0) return false;
  last = std::max(last, grace_from_ns_[i]);
  return now_ns < last || now_ns - last < cfg_.detect_ns();
}

void LinkLiveness::excuse(uint64_t from_ns, uint64_t to_ns) {
  if (to_ns <= from_ns) return;
  for (auto& t : targets_) t.excuse(from_ns, to_ns);
  for (uint64_t& g : grace_from_ns_)
    if (g != 0 && g < to_ns) g = std::min(g + (to_ns - from_ns), to_ns);
}

void LinkLiveness::suspect(uint64_t now_ns) {
  // Before the first up there is nothing to withdraw; afterwards the hold-down counts from this moment.
  down_since_ns_ = std::max(down_since_ns_, now_ns);
  if (alive_) suspect_pending_ = true;
}

LinkLiveness::Verdict LinkLiveness::evaluate(uint64_t now_ns) {
  last_eval_ns_ = now_ns;
  bool any_live = false;
  for (size_t i = 0; i < targets_.size(); i++) any_live = any_live || target_live(i, now_ns);
  // The probes a down link's outage swallowed are the outage, judged by liveness (down, then the hold-down): when
  // replies return, those losses (timed out, or found by the first reply) must not also stand as loss-rate evidence
  // against the line's SLA gates, which would then hold the line degraded long after it recovered. Losses from
  // here on, during the hold-down, count as usual.
  if (!alive_ && any_live && !any_live_before_)
    for (auto& t : targets_) t.forget_loss_evidence();
  any_live_before_ = any_live;

  if (alive_) {
    if (suspect_pending_) {
      alive_ = suspect_pending_ = false;
      return {false, true, "suspect_no_rx"};
    }
    if (!any_live) {
      alive_ = false;
      down_since_ns_ = std::max(down_since_ns_, now_ns);
      return {false, true, "probe_timeout"};
    }
    return {true, false, "alive"};
  }

  if (!any_live) return {false, false, "no_reply"};
  if (!ever_up_) {
    alive_ = ever_up_ = true;
    return {true, true, "start"};
  }
  for (size_t i = 0; i < targets_.size(); i++) {
    if (!target_live(i, now_ns)) continue;
    const uint64_t since = std::max(targets_[i].streak_start_ns(), down_since_ns_);
    if (now_ns >= since && now_ns - since >= cfg_.hold_down_ns()) {
      alive_ = true;
      // The outage is over and was judged as such; the probes lost during it must not hold the link's SLA
      // verdicts down for a whole window afterwards (on a slowly probed link, minutes).
      for (auto& t : targets_) t.forget_losses();
      return {true, true, "recovered"};
    }
  }
  return {false, false, "hold_down"};
}

LinkMetrics LinkLiveness::metrics() const {
  const LinkMetrics* best = nullptr;
  std::vector<LinkMetrics> all;
  all.reserve(targets_.size());
  for (const auto& t : targets_) all.push_back(t.metrics());
  for (size_t i = 0; i < targets_.size(); i++) {
    if (!target_live(i, last_eval_ns_)) continue;
    const LinkMetrics& m = all[i];
    if (!best || m.loss_pct < best->loss_pct || (m.loss_pct == best->loss_pct && m.rtt_ms < best->rtt_ms)) best = &m;
  }
  if (best) return *best;

  // No live target: combine the windows (loss over all known outcomes), pessimistic RTT figures, summed counters.
  LinkMetrics agg;
  double lost = 0, fwd = 0, rev = 0;
  for (const LinkMetrics& m : all) {
    agg.samples += m.samples;
    lost += m.loss_pct * m.samples / 100.0;
    fwd += m.fwd_loss_pct * m.samples / 100.0;
    rev += m.rev_loss_pct * m.samples / 100.0;
    agg.probes_sent += m.probes_sent;
    agg.probes_lost += m.probes_lost;
    agg.replies += m.replies;
    if (m.has_rtt) {
      agg.rtt_ms = std::max(agg.rtt_ms, m.rtt_ms);
      agg.jitter_ms = std::max(agg.jitter_ms, m.jitter_ms);
      agg.rtt_max_ms = std::max(agg.rtt_max_ms, m.rtt_max_ms);
      agg.has_rtt = true;
    }
  }
  if (agg.samples > 0) {
    agg.loss_pct = 100.0 * lost / agg.samples;
    agg.fwd_loss_pct = 100.0 * fwd / agg.samples;
    agg.rev_loss_pct = 100.0 * rev / agg.samples;
  }
  return agg;
}

double LinkLiveness::loss_evidence(const LossTest& t) const {
  double live = -1, any = 0;
  for (size_t i = 0; i < targets_.size(); i++) {
    const double e = targets_[i].losses().evidence(t);
    any = std::max(any, e);
    if (target_live(i, last_eval_ns_)) live = live < 0 ? e : std::min(live, e);
  }
  return live < 0 ? any : live;
}

bool LinkLiveness::loss_in_doubt(const LossTest& t) const {
  return std::any_of(targets_.begin(), targets_.end(), [&t](const TargetEstimator& e) {
    return e.losses().since_last_loss() < kDoubtOutcomes || e.losses().evidence(t) > 0;
  });
}

// ---- SlaGate ----

SlaGate::SlaGate(const HealthConfig& cfg) : cfg_(cfg) {}

SlaGate::Verdict SlaGate::evaluate(const LinkMetrics& m, const Sla& sla, double loss_nats, uint64_t now_ns) {
  if (m.samples < cfg_.min_samples) {
    good_since_ns_.reset();
    return {ok_, false, "few_samples"};
  }
  const char* breach = nullptr;
  if (loss_nats >= (ok_ ? LossTest::kDecideNats : LossTest::kGoodNats))
    breach = "loss";
  else if (m.has_rtt && m.rtt_ms > sla.max_rtt_ms)
    breach = "rtt";
  else if (m.has_rtt && m.jitter_ms > sla.max_jitter_ms)
    breach = "jitter";

  if (breach) {
    good_since_ns_.reset();
    const bool changed = ok_;
    ok_ = false;
    return {false, changed, breach};
  }
  if (ok_) return {true, false, "ok"};
  if (!good_since_ns_) good_since_ns_ = now_ns;
  if (now_ns - *good_since_ns_ >= cfg_.hold_down_ns()) {
    ok_ = true;
    good_since_ns_.reset();
    return {true, true, "recovered"};
  }
  return {false, false, "hold_down"};
}

std::string_view to_string(LinkState s) {
  switch (s) {
    case LinkState::up:
      return "up";
    case LinkState::degraded:
      return "degraded";
    case LinkState::down:
      return "down";
  }
  return "?";
}

}  // namespace wansteer
