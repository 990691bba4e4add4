// Sequential loss test (Wald's SPRT as Page's CUSUM) over one probe target's outcomes: see loss_test.hpp.
#include "control/health/loss_test.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wansteer {

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
  if (!t.active) return 0;
  double best = 0;
  for (size_t i = 1; i <= n_; i++) {
    const uint64_t pos = at_[(head_ + kLosses - i) % kLosses];
    const double len = static_cast<double>(known_ - pos);
    best = std::max(best, static_cast<double>(i) * t.on_loss + (len - static_cast<double>(i)) * t.on_reply);
  }
  return best;
}

uint64_t LossHistory::since_last_loss() const {
  if (n_ == 0) return std::numeric_limits<uint64_t>::max();
  return known_ - 1 - at_[(head_ + kLosses - 1) % kLosses];
}

}  // namespace wansteer
