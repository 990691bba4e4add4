// Link health tests: jitter and EWMA against hand-computed values, the loss window (sliding, timeouts, late replies),
// STAMP forward/reverse loss split, liveness detect time, suspect and hold-down, SLA gates.
#include <catch2/catch.hpp>

#include "control/health/link_health.hpp"

using namespace wansteer;

namespace {

constexpr uint64_t ms(uint64_t v) { return v * 1'000'000ull; }

HealthConfig test_config() {
  HealthConfig c;
  c.interval_ms = 20;
  c.detect_multiplier = 4;  // detect time 80 ms
  c.loss_window = 10;
  c.reply_timeout_ms = 300;
  c.hold_down_ms = 1000;
  c.min_samples = 10;
  return c;
}

// A probe sent at `at` and answered rtt later.
void probe_ok(TargetEstimator& t, uint32_t seq, uint64_t at, uint64_t rtt = ms(5)) {
  t.on_sent(seq, at);
  t.on_reply(seq, at + rtt, rtt);
}

LinkMetrics metrics_with(uint32_t samples, double loss, double rtt, double jitter) {
  LinkMetrics m;
  m.samples = samples;
  m.loss_pct = loss;
  m.rtt_ms = rtt;
  m.jitter_ms = jitter;
  m.has_rtt = true;
  return m;
}

}  // namespace

TEST_CASE("RTT EWMA (1/8) and RFC 3550 jitter (1/16) follow the hand computation", "[health]") {
  // RTT samples 10, 14, 12, 20 ms.
  // Jitter: J starts at 0 (one sample has no difference).
  //   D = |14 - 10| = 4: J = 0        + (4 - 0)/16        = 0.25
  //   D = |12 - 14| = 2: J = 0.25     + (2 - 0.25)/16     = 0.359375
  //   D = |20 - 12| = 8: J = 0.359375 + (8 - 0.359375)/16 = 0.8369140625
  // SRTT: first sample as is, then S += (R - S)/8:
  //   10 -> 10 + 4/8 = 10.5 -> 10.5 + 1.5/8 = 10.6875 -> 10.6875 + 9.3125/8 = 11.8515625
  TargetEstimator t(test_config());
  const uint64_t rtts[] = {ms(10), ms(14), ms(12), ms(20)};
  double want_jitter[] = {0, 0.25, 0.359375, 0.8369140625};
  double want_srtt[] = {10, 10.5, 10.6875, 11.8515625};
  for (uint32_t i = 0; i < 4; i++) {
    probe_ok(t, i, ms(20) * i, rtts[i]);
    LinkMetrics m = t.metrics();
    CHECK(m.jitter_ms == Approx(want_jitter[i]).margin(1e-12));
    CHECK(m.rtt_ms == Approx(want_srtt[i]).margin(1e-12));
  }
  LinkMetrics m = t.metrics();
  CHECK(m.has_rtt);
  CHECK(m.rtt_max_ms == Approx(20));
  CHECK(m.replies == 4);
  CHECK(m.probes_sent == 4);
  CHECK(m.loss_pct == 0);
  CHECK(t.last_reply_ns() == ms(60) + ms(20));
}

TEST_CASE("no RTT before the first reply", "[health]") {
  TargetEstimator t(test_config());
  CHECK_FALSE(t.metrics().has_rtt);
  CHECK(t.last_reply_ns() == 0);
  t.on_sent(1, ms(1));
  CHECK(t.metrics().samples == 0);  // fate unknown: not in the window yet
  CHECK(t.metrics().probes_sent == 1);
}

TEST_CASE("a probe is lost exactly at the reply timeout, not before", "[health]") {
  TargetEstimator t(test_config());
  t.on_sent(7, ms(100));
  t.tick(ms(400) - 1);
  CHECK(t.metrics().samples == 0);
  t.tick(ms(400));
  LinkMetrics m = t.metrics();
  CHECK(m.samples == 1);
  CHECK(m.loss_pct == 100);
  CHECK(m.probes_lost == 1);
}

TEST_CASE("RACK: a probe unanswered when one sent a reorder window later is answered is lost at once", "[health]") {
  TargetEstimator t(test_config());
  t.on_sent(1, ms(0));
  t.on_sent(2, ms(20));
  t.on_sent(3, ms(21));
  // probe 3 answered first, sent 1 ms after probe 2: within the 2 ms reorder window, 2 may still come
  t.on_reply(3, ms(22), ms(1));
  LinkMetrics m = t.metrics();
  CHECK(m.probes_lost == 1);  // probe 1, sent 21 ms before probe 3
  CHECK(m.samples == 2);
  CHECK(t.losses().since_last_loss() == 1);
  t.on_reply(2, ms(23), ms(3));  // reordered, not lost
  m = t.metrics();
  CHECK(m.probes_lost == 1);
  CHECK(m.replies == 2);
  t.on_reply(1, ms(24), ms(24));  // the lost one turning up later is not counted again
  CHECK(t.metrics().replies == 2);
}

TEST_CASE("RACK: the reorder window grows with the RTT (a quarter of it)", "[health]") {
  TargetEstimator t(test_config());
  probe_ok(t, 0, 0, ms(40));  // SRTT 40 ms: reorder window 10 ms
  t.on_sent(1, ms(100));
  t.on_sent(2, ms(108));
  t.on_reply(2, ms(148), ms(40));
  CHECK(t.metrics().probes_lost == 0);  // sent 8 ms apart: could be reordering
  t.on_sent(3, ms(112));
  t.on_reply(3, ms(152), ms(40));
  CHECK(t.metrics().probes_lost == 1);  // probe 3 left 12 ms after probe 1
}

TEST_CASE("late replies are ignored: a lost probe stays lost and gives no RTT", "[health]") {
  TargetEstimator t(test_config());
  t.on_sent(1, 0);
  t.tick(ms(300));
  t.on_reply(1, ms(350), ms(350));  // after its timeout
  t.on_sent(2, ms(400));
  t.on_reply(2, ms(700), ms(300));  // exactly at its timeout, no tick in between: still late
  t.on_sent(3, ms(800));
  t.on_reply(3, ms(1100) - 1, ms(300) - 1);  // just in time
  LinkMetrics m = t.metrics();
  CHECK(m.samples == 3);
  CHECK(m.probes_lost == 2);
  CHECK(m.replies == 1);
  CHECK(m.loss_pct == Approx(100.0 * 2 / 3));
  CHECK(m.rtt_ms == Approx(300).margin(1e-3));  // only probe 3's RTT
  CHECK(t.last_reply_ns() == ms(1100) - 1);
  t.on_reply(3, ms(1101), ms(301));  // duplicate: ignored
  CHECK(t.metrics().replies == 1);
}

TEST_CASE("loss is measured over the last loss_window known outcomes and the window slides", "[health]") {
  TargetEstimator t(test_config());  // window 10
  for (uint32_t s = 0; s < 10; s++) t.on_sent(s, ms(20) * s);
  t.tick(ms(180) + ms(300));  // all ten timed out
  CHECK(t.metrics().loss_pct == 100);
  CHECK(t.metrics().samples == 10);
  uint64_t now = ms(1000);
  for (uint32_t s = 10; s < 15; s++, now += ms(20)) probe_ok(t, s, now);
  CHECK(t.metrics().loss_pct == 50);  // 5 lost slid out, 5 replies in
  CHECK(t.metrics().samples == 10);
  CHECK(t.window_lost() == 5);
  for (uint32_t s = 15; s < 20; s++, now += ms(20)) probe_ok(t, s, now);
  LinkMetrics m = t.metrics();
  CHECK(m.loss_pct == 0);
  CHECK(m.probes_lost == 10);  // the cumulative counter keeps them
  CHECK(m.probes_sent == 20);
  CHECK(m.rtt_max_ms == Approx(5));
}

TEST_CASE("rtt_max covers only the probes still in the window", "[health]") {
  TargetEstimator t(test_config());
  probe_ok(t, 0, 0, ms(90));
  for (uint32_t s = 1; s < 10; s++) probe_ok(t, s, ms(100) * s, ms(5));
  CHECK(t.metrics().rtt_max_ms == Approx(90));
  probe_ok(t, 10, ms(1000), ms(7));  // probe 0 slides out
  CHECK(t.metrics().rtt_max_ms == Approx(7));
}

TEST_CASE("STAMP: reflector sequence numbers split loss into forward and reverse", "[health]") {
  HealthConfig c = test_config();
  c.reply_timeout_ms = 50;
  TargetEstimator t(c);
  // Sender seq 0..9 sent every 20 ms, replies 10 ms later. Seq 3 and 4 never reach the reflector (forward);
  // seq 7 is reflected (reflector seq 5) but its reply is lost (reverse). Reflector seq per sender seq:
  //   0->0 1->1 2->2 5->3 6->4 (7->5 lost) 8->6 9->7
  // Gap 2..5: 2 sender seqs missing, reflector moved by 1 -> 2 forward. Gap 6..8: reflector moved by 2 -> 1 reverse.
  // Probe 3 has already timed out when reply 5 arrives (tagged in the window), 4 and 7 are still pending.
  const std::optional<uint32_t> refl[10] = {0, 1, 2, std::nullopt, std::nullopt, 3, 4, std::nullopt, 6, 7};
  for (uint32_t s = 0; s < 10; s++) {
    t.on_sent(s, ms(20) * s);
    if (refl[s]) t.on_reply(s, ms(20) * s + ms(10), ms(10), refl[s]);
  }
  t.tick(ms(1000));
  LinkMetrics m = t.metrics();
  CHECK(m.samples == 10);
  CHECK(m.loss_pct == Approx(30));
  CHECK(m.fwd_loss_pct == Approx(20));
  CHECK(m.rev_loss_pct == Approx(10));
}

TEST_CASE("ICMP (no reflector seq): loss counted, no direction", "[health]") {
  TargetEstimator t(test_config());
  for (uint32_t s = 0; s < 10; s++) {
    t.on_sent(s, ms(20) * s);
    if (s != 3 && s != 4 && s != 7) t.on_reply(s, ms(20) * s + ms(10), ms(10));
  }
  t.tick(ms(1000));
  LinkMetrics m = t.metrics();
  CHECK(m.loss_pct == Approx(30));
  CHECK(m.fwd_loss_pct == 0);
  CHECK(m.rev_loss_pct == 0);
}

TEST_CASE("STAMP: a reflector restart (counter going back) infers nothing for that gap", "[health]") {
  TargetEstimator t(test_config());
  t.on_sent(0, 0);
  t.on_reply(0, ms(5), ms(5), 100u);
  t.on_sent(1, ms(20));  // lost
  t.on_sent(2, ms(40));
  t.on_reply(2, ms(45), ms(5), 0u);  // restarted reflector
  t.tick(ms(1000));
  LinkMetrics m = t.metrics();
  CHECK(m.loss_pct == Approx(100.0 / 3));
  CHECK(m.fwd_loss_pct == 0);
  CHECK(m.rev_loss_pct == 0);
}

TEST_CASE("liveness: alive at the first reply, down exactly at detect time after the last one", "[health]") {
  LinkLiveness l(test_config(), 1);
  l.target(0).on_sent(0, 0);
  auto v = l.evaluate(ms(5));
  CHECK_FALSE(v.alive);
  CHECK_FALSE(v.changed);
  l.target(0).on_reply(0, ms(10), ms(10));
  v = l.evaluate(ms(10));
  CHECK(v.alive);
  CHECK(v.changed);
  CHECK(std::string(v.cause) == "start");
  v = l.evaluate(ms(90) - 1);  // 80 ms detect time not yet over
  CHECK(v.alive);
  CHECK_FALSE(v.changed);
  v = l.evaluate(ms(90));
  CHECK_FALSE(v.alive);
  CHECK(v.changed);
  CHECK(std::string(v.cause) == "probe_timeout");
  v = l.evaluate(ms(95));
  CHECK_FALSE(v.changed);
}

namespace {

// Target `i` answers one probe every 20 ms in [from, to), 5 ms later; evaluate() runs after every reply.
// Returns the first verdict that changed state, or the last one.
LinkLiveness::Verdict feed(LinkLiveness& l, size_t i, uint32_t& seq, uint64_t from, uint64_t to) {
  std::optional<LinkLiveness::Verdict> first_change;
  LinkLiveness::Verdict last{l.alive(), false, ""};
  for (uint64_t t = from; t < to; t += ms(20)) {
    l.target(i).on_sent(seq, t);
    l.target(i).on_reply(seq++, t + ms(5), ms(5));
    last = l.evaluate(t + ms(5));
    if (last.changed && !first_change) first_change = last;
  }
  return first_change.value_or(last);
}

}  // namespace

TEST_CASE("liveness: suspect() withdraws at once, replies must then flow for the hold-down", "[health]") {
  LinkLiveness l(test_config(), 1);
  uint32_t seq = 0;
  REQUIRE(feed(l, 0, seq, 0, ms(300)).alive);  // replies up to 285 ms
  l.suspect(ms(300));
  auto v = l.evaluate(ms(300));
  CHECK_FALSE(v.alive);
  CHECK(v.changed);
  CHECK(std::string(v.cause) == "suspect_no_rx");
  // Replies keep coming every 20 ms (they never stopped): recovery at suspect time + hold-down, not before.
  v = feed(l, 0, seq, ms(300), ms(1300) - ms(5));
  CHECK_FALSE(v.alive);
  CHECK(std::string(v.cause) == "hold_down");
  l.target(0).on_sent(seq, ms(1295));
  l.target(0).on_reply(seq++, ms(1299), ms(4));
  CHECK_FALSE(l.evaluate(ms(1300) - 1).alive);
  v = l.evaluate(ms(1300));
  CHECK(v.alive);
  CHECK(v.changed);
  CHECK(std::string(v.cause) == "recovered");
}

TEST_CASE("liveness: a gap during the hold-down restarts it", "[health]") {
  LinkLiveness l(test_config(), 1);
  uint32_t seq = 0;
  REQUIRE(feed(l, 0, seq, 0, ms(100)).alive);  // last reply at 85 ms
  auto v = l.evaluate(ms(200));
  REQUIRE_FALSE(v.alive);
  // Replies from 1000 ms (first at 1005) to 1485 ms, then a 100 ms gap (> 80 ms detect), then again from 1600 ms.
  v = feed(l, 0, seq, ms(1000), ms(1500));
  CHECK_FALSE(v.alive);
  CHECK(std::string(v.cause) == "hold_down");
  CHECK(l.evaluate(ms(1565) - 1).cause == std::string("hold_down"));  // 80 ms after the reply at 1485 ms
  CHECK(l.evaluate(ms(1565)).cause == std::string("no_reply"));
  v = feed(l, 0, seq, ms(1600), ms(2600));  // without the gap it would have recovered at 2005 ms
  CHECK_FALSE(v.alive);
  CHECK(l.target(0).streak_start_ns() == ms(1605));
  l.target(0).on_sent(seq, ms(2600));
  l.target(0).on_reply(seq++, ms(2604), ms(4));
  CHECK_FALSE(l.evaluate(ms(2605) - 1).alive);
  v = l.evaluate(ms(2605));
  CHECK(v.alive);
  CHECK(std::string(v.cause) == "recovered");
}

TEST_CASE("liveness: one dead target of two does not take the link down; both dead does", "[health]") {
  LinkLiveness l(test_config(), 2);
  uint32_t s0 = 0, s1 = 0;
  // Both answer; target 1 is slower. Link metrics are the better target's.
  for (uint64_t t = 0; t < ms(200); t += ms(20)) {
    l.target(0).on_sent(s0, t);
    l.target(0).on_reply(s0++, t + ms(5), ms(5));
    l.target(1).on_sent(s1, t);
    l.target(1).on_reply(s1++, t + ms(30), ms(30));
  }
  REQUIRE(l.evaluate(ms(230)).alive);
  CHECK(l.metrics().rtt_ms == Approx(5));
  // Target 0 goes silent; target 1 keeps answering: link alive, metrics now target 1's.
  for (uint64_t t = ms(200); t < ms(600); t += ms(20)) {
    l.target(0).on_sent(s0++, t);
    l.target(1).on_sent(s1, t);
    l.target(1).on_reply(s1++, t + ms(30), ms(30));
    l.target(0).tick(t + ms(30));
    auto v = l.evaluate(t + ms(30));
    CHECK(v.alive);
    CHECK_FALSE(v.changed);
  }
  CHECK(l.metrics().rtt_ms == Approx(30));
  // Now target 1 stops too: down at its last reply (610 ms) + 80 ms.
  CHECK(l.evaluate(ms(690) - 1).alive);
  auto v = l.evaluate(ms(690));
  CHECK_FALSE(v.alive);
  CHECK(std::string(v.cause) == "probe_timeout");
  // With no live target, metrics aggregate both windows: sums of counters, worst RTT.
  LinkMetrics m = l.metrics();
  CHECK(m.probes_sent == 60);
  CHECK(m.rtt_ms == Approx(30));
}

TEST_CASE("liveness: best live target is the one with the lowest loss, then the lowest RTT", "[health]") {
  HealthConfig c = test_config();
  c.reply_timeout_ms = 50;
  LinkLiveness l(c, 2);
  uint32_t s0 = 0, s1 = 0;
  for (uint64_t t = 0; t < ms(400); t += ms(20)) {
    l.target(0).on_sent(s0, t);  // fast but every other probe lost
    if (s0 % 2 == 0) l.target(0).on_reply(s0, t + ms(2), ms(2));
    s0++;
    l.target(1).on_sent(s1, t);  // slow, no loss
    l.target(1).on_reply(s1++, t + ms(20), ms(20));
    l.target(0).tick(t + ms(20));
  }
  REQUIRE(l.evaluate(ms(400)).alive);
  LinkMetrics m = l.metrics();
  CHECK(m.loss_pct == 0);
  CHECK(m.rtt_ms == Approx(20));
}

TEST_CASE("liveness: a slower probe interval stretches the detect time without reviving dead targets", "[health]") {
  LinkLiveness l(test_config(), 1);
  uint32_t seq = 0;
  REQUIRE(feed(l, 0, seq, 0, ms(100)).alive);  // last reply at 85 ms
  l.set_interval(100, ms(100));                // detect time 400 ms, counted from the change at the earliest
  CHECK(l.evaluate(ms(500) - 1).alive);
  CHECK_FALSE(l.evaluate(ms(500)).alive);
  // Dead when the interval changes (and for longer than the hold-down): the change must not count as a reply.
  l.set_interval(20, ms(2000));
  auto v = l.evaluate(ms(2001));
  CHECK_FALSE(v.alive);
  CHECK(std::string(v.cause) == "no_reply");
}

TEST_CASE("SLA gate: fails at once, recovers only after the hold-down, needs min_samples", "[health]") {
  SlaGate g(test_config());  // min 10 samples, hold-down 1000 ms
  Sla sla{5, 100, 30};
  constexpr double kBad = LossTest::kDecideNats;
  auto v = g.evaluate(metrics_with(9, 50, 10, 1), sla, kBad, 0);  // too few samples to judge
  CHECK(v.ok);
  CHECK_FALSE(v.changed);
  v = g.evaluate(metrics_with(10, 50, 10, 1), sla, kBad, ms(10));
  CHECK_FALSE(v.ok);
  CHECK(v.changed);
  CHECK(std::string(v.cause) == "loss");
  v = g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(100));  // good from 100 ms
  CHECK_FALSE(v.ok);
  CHECK(std::string(v.cause) == "hold_down");
  v = g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(600));
  CHECK_FALSE(v.ok);
  v = g.evaluate(metrics_with(10, 0, 150, 1), sla, 0, ms(700));  // RTT breach restarts the hold-down
  CHECK_FALSE(v.ok);
  CHECK_FALSE(v.changed);
  CHECK(std::string(v.cause) == "rtt");
  v = g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(800));
  CHECK_FALSE(g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(1100)).ok);  // would have been 1000 ms after 100
  CHECK_FALSE(g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(1800) - 1).ok);
  v = g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(1800));
  CHECK(v.ok);
  CHECK(v.changed);
  CHECK(std::string(v.cause) == "recovered");
  v = g.evaluate(metrics_with(10, 0, 10, 31), sla, 0, ms(1900));
  CHECK_FALSE(v.ok);
  CHECK(std::string(v.cause) == "jitter");
}

TEST_CASE("SLA gate: the limits are inclusive, and too few samples restart a hold-down", "[health]") {
  SlaGate g(test_config());
  Sla sla{5, 100, 30};
  constexpr double kBad = LossTest::kDecideNats;
  CHECK(g.evaluate(metrics_with(10, 5, 100, 30), sla, kBad - 0.01, 0).ok);  // exactly at every limit passes
  REQUIRE_FALSE(g.evaluate(metrics_with(10, 5, 100, 30), sla, kBad, ms(1)).ok);
  g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(100));
  auto v = g.evaluate(metrics_with(3, 0, 10, 1), sla, 0, ms(500));
  CHECK_FALSE(v.ok);
  CHECK(std::string(v.cause) == "few_samples");
  CHECK_FALSE(g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(1100)).ok);
  CHECK(g.evaluate(metrics_with(10, 0, 10, 1), sla, 0, ms(2100)).ok);
}

TEST_CASE("SLA gate: after a loss breach, loss holds again only once the evidence fell below half the threshold",
          "[health]") {
  SlaGate g(test_config());  // hold-down 1000 ms
  Sla sla{1, 100, 30};
  REQUIRE_FALSE(g.evaluate(metrics_with(10, 0, 10, 1), sla, LossTest::kDecideNats, 0).ok);
  auto v = g.evaluate(metrics_with(10, 0, 10, 1), sla, LossTest::kGoodNats, ms(10));
  CHECK(std::string(v.cause) == "loss");  // still as much evidence as the hysteresis allows
  v = g.evaluate(metrics_with(10, 0, 10, 1), sla, LossTest::kGoodNats - 0.01, ms(20));
  CHECK(std::string(v.cause) == "hold_down");
  CHECK(g.evaluate(metrics_with(10, 0, 10, 1), sla, 1, ms(1020)).ok);
  // passing again, it takes the full threshold to breach
  CHECK(g.evaluate(metrics_with(10, 0, 10, 1), sla, LossTest::kDecideNats - 0.01, ms(1030)).ok);
}

TEST_CASE("link states have stable names", "[health]") {
  CHECK(to_string(LinkState::up) == "up");
  CHECK(to_string(LinkState::degraded) == "degraded");
  CHECK(to_string(LinkState::down) == "down");
}

TEST_CASE("liveness: after a faster probe interval, silence counts from the change, not from the last reply",
          "[health]") {
  HealthConfig c = test_config();
  c.interval_ms = 100;  // detect time 400 ms
  LinkLiveness l(c, 1);
  l.target(0).on_sent(0, 0);
  l.target(0).on_reply(0, ms(5), ms(5));
  REQUIRE(l.evaluate(ms(5)).alive);
  l.set_interval(20, ms(300));  // detect time 80 ms; without grace the 295 ms of silence would condemn the link
  CHECK(l.evaluate(ms(300)).alive);
  CHECK(l.evaluate(ms(380) - 1).alive);
  auto v = l.evaluate(ms(380));
  CHECK_FALSE(v.alive);
  CHECK(std::string(v.cause) == "probe_timeout");
}

// One probe a probe interval to a one-target link, answered after 1 ms or lost; evaluates the link after each.
struct OneTargetProber {
  const HealthConfig& c;
  LinkLiveness& l;
  uint32_t seq = 0;
  uint64_t t = 0;
  LinkLiveness::Verdict operator()(bool answered) {
    l.target(0).on_sent(seq, t);
    if (answered) l.target(0).on_reply(seq, t + ms(1), ms(1));
    seq++;
    t += ms(c.interval_ms);
    l.target(0).tick(t);
    return l.evaluate(t);
  }
};

TEST_CASE("liveness: recovering from an outage forgets the probes the outage swallowed", "[health]") {
  HealthConfig c = test_config();
  LinkLiveness l(c, 1);
  OneTargetProber probe{c, l};
  for (int i = 0; i < 20; i++) probe(true);
  REQUIRE(l.alive());
  for (int i = 0; i < 30; i++) probe(false);  // outage: down, and lost probes fill the window
  REQUIRE_FALSE(l.alive());
  CHECK(l.target(0).window_lost() > 0);
  LinkLiveness::Verdict v{};
  for (int i = 0; i < 2000 && !v.changed; i++) v = probe(true);  // replies again, through the hold-down
  REQUIRE(v.changed);
  CHECK(std::string(v.cause) == "recovered");
  CHECK(l.target(0).window_lost() == 0);
  CHECK(l.metrics().loss_pct == 0);
  CHECK(l.metrics().samples >= c.min_samples);  // the hold-down's replies are still there to judge SLAs
}

TEST_CASE("liveness: an outage's lost probes leave no loss evidence once replies return; hold-down losses count",
          "[health]") {
  HealthConfig c = test_config();
  LinkLiveness l(c, 1);
  OneTargetProber probe{c, l};
  const LossTest slow = LossTest::for_limit(1.0, LossTest::kSlowFactor);
  for (int i = 0; i < 20; i++) probe(true);
  REQUIRE(l.alive());
  for (int i = 0; i < 30; i++) probe(false);  // outage: down, its probes time out as losses
  REQUIRE_FALSE(l.alive());
  CHECK(l.loss_evidence(slow) >= LossTest::kDecideNats);
  probe(true);  // replies return: the outage was judged by liveness, its losses are no loss-rate evidence
  REQUIRE_FALSE(l.alive());
  CHECK(l.loss_evidence(slow) == 0);
  probe(false);  // a loss during the hold-down is evidence as usual
  probe(true);
  CHECK(l.loss_evidence(slow) > 0);
}
