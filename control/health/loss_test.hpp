// Sequential loss test for SLA gates: Wald's log-likelihood ratio between "loss <= the SLA's limit" and "loss >=
// factor x the limit", accumulated over one probe target's outcomes as Page's CUSUM. Pure, no clock, no DPDK.
#pragma once
#include <cstddef>
#include <cstdint>

namespace wansteer {

// The test for one loss limit. A lost probe adds on_loss nats of evidence that the loss is above the limit, a reply
// takes on_reply (negative) away; the CUSUM (evidence never below 0) breaches at kDecideNats.
//
// Why these numbers: H0 p0 = the SLA's limit, H1 p1 = factor x p0 (at least 1 %, capped at (1 + p0) / 2). A loss
// earns ln(p1/p0), a reply costs ln((1-p1)/(1-p0)). The CUSUM's mean run to a false breach at exactly p0 grows like
// e^h / KL(p0||p1); at a true loss p it breaches after about h / (drift at p) probes. With h = 10 nats and p0 = 1 %:
//   fast, factor 5: a false breach every ~0.9 million probes per target (an hour at the boosted probe rate); 5 % loss
//                   decided after 10 / KL(5 %||1 %) = 10 / 0.041 = ~240 probes. Blind below ~2.5 x the limit
//                   (negative drift there), hence the slow test;
//   slow, factor 2: a false breach every ~7 million probes per target; 2 % loss decided after ~2,600 probes (under a
//                   minute at 50 probes/s), anything above ~1.45 x the limit eventually.
// A gate breaches on loss when either test's evidence reaches kDecideNats (ln(1/alpha), alpha = e^-10 = 4.5e-5).
struct LossTest {
  static constexpr double kFastFactor = 5.0;
  static constexpr double kSlowFactor = 2.0;
  static constexpr double kDecideNats = 10.0;
  static constexpr double kGoodNats = kDecideNats / 2;  // a breached gate counts as good again only below this

  double on_loss = 0;   // nats a lost probe adds
  double on_reply = 0;  // nats a reply adds (<= 0)
  bool active = false;  // false: the limit allows any loss (100 %), nothing to test

  static LossTest for_limit(double max_loss_pct, double factor);
};

// The recent losses of one target's outcome stream (in the order their fates became known), enough to run the
// CUSUM of any LossTest: S = max(0, S + on_reply) per reply, S = min(2 x kDecideNats, S + on_loss) per loss. The
// cap keeps a decided target decided while the link's other targets catch up, and lets a long bad spell be
// forgotten as fast as a short one. Keeps the newest kLosses losses and starts the recursion before the oldest of
// them (a lower bound when more were lost).
class LossHistory {
 public:
  static constexpr size_t kLosses = 64;

  void on_outcome(bool lost);
  void forget();  // drops the recorded losses (the outcomes before stay counted as known)
  double evidence(const LossTest& t) const;
  // Known outcomes since the newest loss (UINT64_MAX: no loss recorded).
  uint64_t since_last_loss() const;

 private:
  uint64_t at_[kLosses] = {};  // position in the outcome stream of each recorded loss (ring, newest at head_-1)
  size_t n_ = 0, head_ = 0;
  uint64_t known_ = 0;  // outcomes so far
};

}  // namespace wansteer
