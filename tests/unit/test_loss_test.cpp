// Sequential loss test: the log-likelihood ratios, the CUSUM against a brute-force one, and decision time and false
// breaches on generated loss sequences (seeded PRNG) for a link with two targets judged by its best one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "control/health/loss_test.hpp"

using namespace wansteer;

namespace {

// Page's CUSUM the textbook way over the whole sequence, capped at twice the decision.
double brute_cusum(const std::vector<bool>& lost, const LossTest& t) {
  double s = 0;
  for (bool l : lost) s = std::clamp(s + (l ? t.on_loss : t.on_reply), 0.0, 2 * LossTest::kDecideNats);
  return s;
}

bool draw_loss(std::mt19937_64& rng, double p) { return static_cast<double>(rng() >> 11) * 0x1.0p-53 < p; }

// A link with two targets probed alternately at loss rate `p`, judged like LinkMonitor does for a class with loss
// limit `limit_pct`: the larger of the fast and slow tests, each on the best (lowest) of the two targets.
struct TwoTargetLink {
  LossTest fast, slow;
  LossHistory tg[2];
  explicit TwoTargetLink(double limit_pct)
      : fast(LossTest::for_limit(limit_pct, LossTest::kFastFactor)),
        slow(LossTest::for_limit(limit_pct, LossTest::kSlowFactor)) {}
  // One probe per target; the link's evidence after them when some was lost, else -1 (replies only lower it).
  double probe(std::mt19937_64& rng, double p) {
    bool any_loss = false;
    for (LossHistory& h : tg) {
      const bool l = draw_loss(rng, p);
      h.on_outcome(l);
      any_loss |= l;
    }
    if (!any_loss) return -1;
    return std::max(std::min(tg[0].evidence(fast), tg[1].evidence(fast)),
                    std::min(tg[0].evidence(slow), tg[1].evidence(slow)));
  }
};

// The probes per target until the gate breaches, or 0 when it did not within `max_probes` per target.
uint64_t probes_to_breach(std::mt19937_64& rng, double p, double limit_pct, uint64_t max_probes) {
  TwoTargetLink link(limit_pct);
  for (uint64_t n = 1; n <= max_probes; n++)
    if (link.probe(rng, p) >= LossTest::kDecideNats) return n;
  return 0;
}

// The highest evidence the link reached over `probes` per target.
double highest_evidence(std::mt19937_64& rng, double p, double limit_pct, uint64_t probes) {
  TwoTargetLink link(limit_pct);
  double top = 0;
  for (uint64_t n = 0; n < probes; n++) top = std::max(top, link.probe(rng, p));
  return top;
}

}  // namespace

TEST_CASE("loss test: the SLA's limit against 5 x and 2 x the limit, in nats per outcome", "[health][losstest]") {
  const LossTest t = LossTest::for_limit(1, LossTest::kFastFactor);
  CHECK(t.active);
  CHECK(t.on_loss == Approx(std::log(5.0)));
  CHECK(t.on_reply == Approx(std::log(0.95 / 0.99)));
  const LossTest s = LossTest::for_limit(1, LossTest::kSlowFactor);
  CHECK(s.on_loss == Approx(std::log(2.0)));
  CHECK(s.on_reply == Approx(std::log(0.98 / 0.99)));
  // bulk's 20 %: H1 is capped at (1 + p0) / 2 = 60 %
  CHECK(LossTest::for_limit(20, LossTest::kFastFactor).on_loss == Approx(std::log(3.0)));
  CHECK_FALSE(LossTest::for_limit(100, LossTest::kFastFactor).active);  // no limit: nothing to test
  LossHistory h;
  CHECK(h.evidence(LossTest::for_limit(100, LossTest::kFastFactor)) == 0);
  // a 0 % limit: one loss decides
  h.on_outcome(true);
  CHECK(h.evidence(LossTest::for_limit(0, LossTest::kFastFactor)) >= LossTest::kDecideNats);
}

TEST_CASE("loss history: the evidence is Page's CUSUM of the outcomes", "[health][losstest]") {
  std::mt19937_64 rng(14);
  const LossTest t = LossTest::for_limit(1, LossTest::kFastFactor);
  for (double p : {0.01, 0.05, 0.2}) {
    LossHistory h;
    std::vector<bool> seq;
    size_t losses = 0;
    for (int i = 0; i < 300; i++) {
      const bool l = draw_loss(rng, p);
      seq.push_back(l);
      h.on_outcome(l);
      losses += l;
      if (losses > LossHistory::kLosses) break;  // past that, the newest kLosses losses decide (a lower bound)
      INFO("p " << p << " outcome " << i);
      REQUIRE(h.evidence(t) == Approx(brute_cusum(seq, t)).margin(1e-9));
    }
  }
}

TEST_CASE("loss history: outcomes since the last loss, and forgetting the losses", "[health][losstest]") {
  LossHistory h;
  CHECK(h.since_last_loss() == UINT64_MAX);
  h.on_outcome(false);
  h.on_outcome(true);
  CHECK(h.since_last_loss() == 0);
  h.on_outcome(false);
  h.on_outcome(false);
  CHECK(h.since_last_loss() == 2);
  const LossTest t = LossTest::for_limit(1, LossTest::kFastFactor);
  CHECK(h.evidence(t) == Approx(std::log(5.0) + 2 * std::log(0.95 / 0.99)));
  h.forget();
  CHECK(h.evidence(t) == 0);
  CHECK(h.since_last_loss() == UINT64_MAX);
  for (int i = 0; i < 100; i++) h.on_outcome(true);  // more losses than it keeps, and past the decision
  CHECK(h.evidence(t) == 2 * LossTest::kDecideNats);
  // capped: a long bad spell is forgotten after (16 - 4) / ln(0.99 / 0.95) = 291 replies, like a short one
  const int forgotten = static_cast<int>(std::ceil((2 * LossTest::kDecideNats - LossTest::kGoodNats) / -t.on_reply));
  CHECK(forgotten == 291);
  for (int i = 0; i < forgotten - 1; i++) h.on_outcome(false);
  CHECK(h.evidence(t) >= LossTest::kGoodNats);
  h.on_outcome(false);
  CHECK(h.evidence(t) < LossTest::kGoodNats);
}

TEST_CASE("loss test: 5 % loss against a 1 % limit breaches within 700 probes per target in 99 % of runs",
          "[health][losstest]") {
  std::mt19937_64 rng(5);
  constexpr int kRuns = 2000;
  std::vector<uint64_t> took;
  took.reserve(kRuns);
  for (int r = 0; r < kRuns; r++) took.push_back(probes_to_breach(rng, 0.05, 1, 5000));
  CHECK(std::count(took.begin(), took.end(), 0u) == 0);
  std::sort(took.begin(), took.end());
  const uint64_t median = took[kRuns / 2], p99 = took[kRuns * 99 / 100];
  INFO("probes per target to decide 5 % loss: median " << median << ", p99 " << p99);
  CHECK(median <= 260);  // measured 224 (276 at 10 nats)
  CHECK(p99 <= 700);     // measured 614 (725 at 10 nats): with the 1 ms boost, ~0.6 s after the first loss
}

TEST_CASE("loss test: 1 % loss (at the limit) breaches none of 10,000 windows of 1,000 probes", "[health][losstest]") {
  std::mt19937_64 rng(1);
  int trips = 0;
  for (int w = 0; w < 10000; w++) trips += probes_to_breach(rng, 0.01, 1, 1000) != 0;
  CHECK(trips == 0);
}

TEST_CASE("loss test: 5 minutes of 1 % loss at the boosted rate keep the link's evidence well under the decision",
          "[health][losstest]") {
  // A line at 1 % carrying traffic is probed every 5 ms and, in doubt, every 1 ms: about 200,000 probes per target
  // in 5 minutes. The simulation of the real schedule (loss_test.hpp) put the highest evidence at 4.3 (median) and
  // 7.0 at most over 600 such runs; here 20 runs, each must stay a nat below the decision.
  std::mt19937_64 rng(141);
  double top = 0;
  for (int r = 0; r < 20; r++) top = std::max(top, highest_evidence(rng, 0.01, 1, 200'000));
  INFO("highest evidence in 20 x 5 minutes at 1 %: " << top);
  CHECK(top < LossTest::kDecideNats - 1);
}

TEST_CASE("loss test: 3 % loss against a 1 % limit is decided too, only later", "[health][losstest]") {
  std::mt19937_64 rng(3);
  int decided = 0;
  for (int r = 0; r < 200; r++) decided += probes_to_breach(rng, 0.03, 1, 20000) != 0;
  CHECK(decided == 200);
}
