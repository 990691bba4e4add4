// One overlay path's probe bookkeeping: wire sequences back to the estimator's, RTT from the send time, losses in a
// row for up/down, SLA gates per class.
#include "control/health/overlay_path_health.hpp"

#include <algorithm>

namespace wansteer {

OverlayPathHealth::OverlayPathHealth(const HealthConfig& cfg) : cfg_(cfg), est_(cfg) {}

uint16_t OverlayPathHealth::on_sent(uint64_t now_ns) {
  const uint32_t seq = next_seq_++;
  // 0 marks a free slot; a clock at 0 is only a test's, and one nanosecond changes no RTT.
  pending_[seq % kPendingSlots] = Pending{seq, std::max<uint64_t>(now_ns, 1)};
  est_.on_sent(seq, now_ns);
  return static_cast<uint16_t>(seq);
}

bool OverlayPathHealth::on_reply(uint16_t seq, uint64_t rx_ns) {
  if (next_seq_ == 0) return false;
  // The wire carries 16 bits: the newest probe whose low bits match, if still among the last kPendingSlots.
  const uint32_t newest = next_seq_ - 1;
  const auto behind = static_cast<uint16_t>(static_cast<uint16_t>(newest) - seq);
  if (behind >= kPendingSlots || behind > newest) return false;
  const uint32_t full = newest - behind;
  Pending& p = pending_[full % kPendingSlots];
  if (p.sent_ns == 0 || p.seq != full || rx_ns < p.sent_ns) return false;
  const uint64_t rtt_ns = rx_ns - p.sent_ns;
  p.sent_ns = 0;
  est_.on_reply(full, rx_ns, rtt_ns);
  // The probes an outage of the path swallowed were the outage, judged as such (down): they must not also stand as
  // loss-rate evidence against its SLA gates once it answers again (as LinkLiveness does for links). Fewer than
  // kDownAfterLosses in a row never make the loss test's 8 nats (at most 4 x ln 5 = 6.4), so they are kept.
  if (!up()) est_.forget_losses();
  // Losses the reply revealed (older probes overtaken) came before it: the path answers now.
  lost_seen_ = est_.metrics().probes_lost;
  lost_in_row_ = 0;
  return true;
}

void OverlayPathHealth::count_new_losses() {
  const uint64_t lost = est_.metrics().probes_lost;
  lost_in_row_ += static_cast<uint32_t>(std::min<uint64_t>(lost - lost_seen_, kDownAfterLosses));
  lost_in_row_ = std::min(lost_in_row_, kDownAfterLosses);
  lost_seen_ = lost;
}

void OverlayPathHealth::tick(uint64_t now_ns) {
  est_.tick(now_ns);
  count_new_losses();
}

void OverlayPathHealth::judge(const std::vector<Sla>& slas, uint64_t now_ns) {
  if (gates_.size() != slas.size()) gates_.assign(slas.size(), SlaGate(cfg_));
  const LinkMetrics m = est_.metrics();
  for (size_t c = 0; c < slas.size(); c++) {
    const double nats =
        std::max(est_.losses().evidence(LossTest::for_limit(slas[c].max_loss_pct, LossTest::kFastFactor)),
                 est_.losses().evidence(LossTest::for_limit(slas[c].max_loss_pct, LossTest::kSlowFactor)));
    gates_[c].evaluate(m, slas[c], nats, now_ns);
  }
}

}  // namespace wansteer
