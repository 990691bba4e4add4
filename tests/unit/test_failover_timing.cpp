// Failover timing without a lab: the steering state starts timing a class's move when the plan moves it, and the
// first packet of the class on its new link ends the move in the histogram bucket of its duration.
#include <catch2/catch.hpp>

#include "control/common/clock.hpp"
#include "control/steering/steering_state.hpp"
#include "tests/unit/control_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

struct SteeringRig {
  FakeClock clock;
  Policy policy = [] {
    Policy p = rig_office_skeleton();
    p.classes = {ClassSpec{"voip", SteerMode::priority, {0, 1}, {}}};
    return p;
  }();
  EventLog events;
  SteeringState st{policy, events, clock.hz()};
  PlanInput in;
  CounterTotals totals;

  SteeringRig() {
    in.alive[0] = in.alive[1] = true;
    for (auto& c : in.sla_ok) c.fill(true);
  }
  bool replan() {
    return st.replan(
        clock.now(), in, [](size_t, uint8_t) { return std::string("probe_timeout"); }, totals,
        [](uint8_t) { return LinkMetrics{}; });
  }
  size_t sample(double* done) { return st.timing().sample(clock.now(), totals, policy.classes.size(), done); }
};

size_t bucket_of(const FailoverTiming& t) {
  for (size_t b = 0; b < t.buckets().size(); b++)
    if (t.buckets()[b] != 0) return b;
  return t.buckets().size();
}

}  // namespace

TEST_CASE("failover timing: move start to the first packet on the new link lands in its bucket", "[failover]") {
  SteeringRig r;
  REQUIRE(r.replan());
  REQUIRE(r.st.plan().cls[0].first == 0);  // voip on fiber
  r.totals.class_link_packets[0][1] = 5;   // lte carried some voip before: that is not the move's first packet

  r.in.alive[0] = false;  // fiber dies
  REQUIRE(r.replan());
  REQUIRE(r.st.plan().cls[0].first == 1);
  CHECK(r.st.timing().pending(0));
  const auto ev = r.events.recent(1);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == "steer");
  CHECK(ev[0].cause == "probe_timeout");

  double done[kMaxClasses] = {-1};
  r.clock.advance_ms(60);
  CHECK(r.sample(done) == 0);  // nothing new on lte yet
  CHECK(r.st.timing().count() == 0);

  r.clock.advance_ms(60);
  r.totals.class_link_packets[0][1] = 6;  // the first packet on lte, 120 ms after the move
  CHECK(r.sample(done) == 1);
  CHECK(done[0] == Approx(0.12));
  CHECK_FALSE(r.st.timing().pending(0));
  const FailoverTiming& t = r.st.timing();
  CHECK(t.count() == 1);
  CHECK(t.sum_seconds() == Approx(0.12));
  REQUIRE(kFailoverDurationBuckets[3] == 0.15);
  CHECK(bucket_of(t) == 3);  // le=0.15: above 0.1, not above 0.15
  const std::vector<uint64_t> cum = t.cumulative();
  REQUIRE(cum.size() == kFailoverDurationBuckets.size());
  CHECK(cum[2] == 0);
  CHECK(cum[3] == 1);
  CHECK(cum.back() == 1);

  r.clock.advance_ms(100);
  r.totals.class_link_packets[0][1] = 9;
  CHECK(r.sample(done) == 0);  // ended once
}

TEST_CASE("failover timing: a move longer than the last bound counts only in +Inf", "[failover]") {
  SteeringRig r;
  REQUIRE(r.replan());
  r.in.alive[0] = false;
  REQUIRE(r.replan());
  r.clock.advance_ms(6000);
  r.totals.class_link_packets[0][1] = 1;
  double done[kMaxClasses] = {};
  CHECK(r.sample(done) == 1);
  CHECK(bucket_of(r.st.timing()) == kFailoverDurationBuckets.size());
  CHECK(r.st.timing().cumulative().back() == 0);
  CHECK(r.st.timing().count() == 1);
}
