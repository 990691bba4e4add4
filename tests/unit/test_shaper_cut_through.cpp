// The shaper's cut-through (shaper_cut_through, dataplane/shaper_bucket.hpp): a packet skips its class queue only
// when nothing of its link waits and the bucket keeps more than a whole worker loop can bring; then the packets of a
// loop that leave are the ones the queues would have released, and the rate bound holds as before. Office rates
// never cut through.
#include <catch2/catch.hpp>

#include "dataplane/egress.hpp"
#include "tests/unit/egress_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const LinkEgress& link_state(EgressRig& rig, uint8_t l) { return rig.workers[0]->egress.link[l]; }

}  // namespace

TEST_CASE("office rates never cut through: a packet waits in its class queue until the loop's service", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 100000000, 62500);          // 100 Mbit/s with 5 ms of burst, as egress_plan.cpp sets it
  rig.service(0);                          // the bucket is set up, full
  rig.submit(1, rig.packet(kGuest), kMs);  // the first of a class sets its meter up (unlimited) ...
  rig.submit(1, rig.packet(kVoip), kMs);
  rig.submit(1, rig.packet(kGuest), kMs);  // ... the next is found conforming inline and goes straight to its queue
  CHECK(link_state(rig, 1).queued == 3);
  CHECK(rig.ctr(kGuest, 1).meter_conform.get() == 2);  // both counted by the meter before they queued
  CHECK(rig.ctr(kVoip, 1).meter_conform.get() == 1);
  rig.service(kMs);
  CHECK(rig.sent(2) == std::vector<uint8_t>{kVoip, kGuest, kGuest});  // class order within the loop
  CHECK(link_state(rig, 1).queued == 0);
}

TEST_CASE("a multi-gigabit link whose bucket outlasts a loop: packets skip the queue, their tokens taken", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 40000000000ULL, 25000000);  // 40 Gbit/s, 5 ms of burst
  rig.submit(1, rig.packet(kGuest), 0);    // before the first service the bucket is not set up: it queues
  CHECK(link_state(rig, 1).queued == 1);
  rig.service(0);
  CHECK(rig.sent(2).size() == 1);
  const int64_t before = link_state(rig, 1).tokens;
  rig.submit(1, rig.packet(kGuest, 1000, 1), 0);
  rig.submit(1, rig.packet(kVoip, 600, 2), 0);
  CHECK(link_state(rig, 1).queued == 0);
  CHECK(link_state(rig, 1).tokens == before - int64_t{1600} * static_cast<int64_t>(kHz));
  rig.service(0);
  CHECK(rig.sent(2) == std::vector<uint8_t>{kGuest, kVoip});  // arrival order, both in this loop
  CHECK(rig.workers[0]->counters.class_link[kGuest][1].packets.get() == 2);
}

TEST_CASE("cut-through stops while a loop's worth is left: what comes after queues and still leaves in the loop",
          "[shaper]") {
  EgressRig rig;
  // A slow refill and a bucket just 2500 bytes deeper than the most one loop can bring.
  rig.shape(1, 5000000, kEgressLoopMaxBytes + 2500);
  rig.service(0);
  rig.submit(1, rig.packet(kGuest, 1000, 1), 0);  // passes: 1500 + a loop's worth left
  rig.submit(1, rig.packet(kGuest, 1000, 2), 0);  // passes: 500 + a loop's worth left
  CHECK(link_state(rig, 1).queued == 0);
  rig.submit(1, rig.packet(kVoip, 1000, 3), 0);   // would leave less than a loop's worth: queues
  rig.submit(1, rig.packet(kGuest, 1000, 4), 0);  // something waits: queues behind it, in its class
  CHECK(link_state(rig, 1).queued == 2);
  rig.service(0);
  // Every packet of the loop left in it, as the queues alone would have released them all.
  CHECK(rig.sent(2) == std::vector<uint8_t>{kGuest, kGuest, kVoip, kGuest});
  CHECK(link_state(rig, 1).queued == 0);
  CHECK(link_state(rig, 1).tokens == (int64_t{kEgressLoopMaxBytes} + 2500 - 4000) * static_cast<int64_t>(kHz));
}

TEST_CASE("with cut-through the shaper still never exceeds its rate, and fills the link when offered more",
          "[shaper]") {
  EgressRig rig;
  const uint64_t rate = 1000000000, burst = 5000000;  // 8 Gbit/s, 5 ms of burst (above a loop's worth)
  REQUIRE(burst > kEgressLoopMaxBytes);
  rig.shape(1, rate * 8, burst, 256);
  rig.service(0);
  uint64_t released = 0;
  uint16_t seq = 0;
  // 1.5 times the rate offered (150 packets of 1000 bytes every 100 us, classes in turn) for 100 ms.
  for (uint64_t t = 0; t <= 100 * kMs; t += kMs / 10) {
    for (int i = 0; i < 150; i++, seq++) rig.submit(1, rig.packet(static_cast<uint8_t>(seq % 3), 1000, seq), t);
    rig.service(t);
    rig.sent(2, &released);
    REQUIRE(released <= burst + rate * t / kHz);  // the bucket's burst plus the rate times the time elapsed
  }
  CHECK(released >= rate / 10 - 2 * 150000);        // the link was kept busy (100 ms at the rate, less two steps)
  CHECK(rig.ctr(kVoip, 1).queue_drops.get() == 0);  // once queues form, the top class is served first
  CHECK(rig.ctr(kGuest, 1).queue_drops.get() + rig.ctr(kGuest, 1).codel_drops.get() > 0);
}
