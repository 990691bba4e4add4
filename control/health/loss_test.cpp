// Sequential loss test (Wald's SPRT as Page's CUSUM) over one probe target's outcomes: see loss_test.hpp.
#include "control/health/loss_test.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wansteer {

namespace {
// The evidence's ceiling: twice the decision, so a target that decided stays decided (above kDecideNats) for
// ~195 replies while the link's other targets catch up (the link breaches when its best target has decided), and
// a long bad spell is still forgotten as fast as a short one once the line is clean.
constexpr double kLossEvidenceCap = 2 * LossTest::kDecideNats;
}  // namespace

LossTest LossTest::for_limit(double max_loss_pct, double factor) {
  LossTest t;
  const double p0 = std::clamp(max_loss_pct / 100.0, 0.0, 1.0);
  const double p1 = std::min(std::max(factor * p0, 0.01), (1.0 + p0) / 2);
  if (p1 <= p0) return t;  // a limit of 100 %: nothing breaches it
  t.active = true;
  // A limit of 0 % is broken by any loss: one decides, and the evidence fades as if H1 were 1 % loss.
  t.on_loss = p0 > 0 ? std::log(p1 / p0) : kDecideNats;
  t.on_reply = std::log((1 - p1) / (1 - p0));
  return t;
}

void LossHistory::on_outcome(bool lost) {
  if (lost) {
    at_[head_] = known_;
    head_ = (head_ + 1) % kLosses;
    n_ = std::min(n_ + 1, kLosses);
  }
  known_++;
}

void LossHistory::forget() { n_ = head_ = 0; }

double LossHistory::evidence(const LossTest& t) const {
  if (!t.active || n_ == 0) return 0;
  // Page's recursion from before the oldest recorded loss: a run of replies lowers the evidence (never below 0), a
  // loss raises it (never above kLossEvidenceCap).
  double s = 0;
  uint64_t prev = 0;
  for (size_t i = n_; i >= 1; i--) {  // oldest first
    const uint64_t pos = at_[(head_ + kLosses - i) % kLosses];
    if (i != n_) s = std::max(0.0, s + static_cast<double>(pos - prev - 1) * t.on_reply);
    s = std::min(kLossEvidenceCap, s + t.on_loss);
    prev = pos;
  }
  return std::max(0.0, s + static_cast<double>(known_ - prev - 1) * t.on_reply);
}

uint64_t LossHistory::since_last_loss() const {
  if (n_ == 0) return std::numeric_limits<uint64_t>::max();
  return known_ - 1 - at_[(head_ + kLosses - 1) % kLosses];
}

}  // namespace wansteer
