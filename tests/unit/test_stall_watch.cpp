// StallWatch on a 1 GHz fake clock: the three signals of the edge not running (control tick gaps, a still worker
// loop counter, replies read late), ordinary scheduling noise ignored, overlapping signals reported once.
#include <catch2/catch.hpp>

#include "control/health/stall_watch.hpp"

using namespace wansteer;

namespace {
constexpr uint64_t kHz = 1'000'000'000;
constexpr uint64_t ms(uint64_t n) { return n * 1'000'000; }
}  // namespace

TEST_CASE("stall watch: a control tick gap past the threshold is a stall, a short one is not", "[stall]") {
  StallWatch s(kHz);
  CHECK(s.on_tick(ms(1000)).empty());  // first tick: nothing to compare with
  CHECK(s.on_tick(ms(1001)).empty());
  CHECK(s.on_tick(ms(1001) + ms(StallWatch::kMinStallMs) - 1).empty());
  const StallWatch::Gap g = s.on_tick(ms(1600));
  CHECK(g.from == ms(1020) + ms(1) - 1);
  CHECK(g.to == ms(1600));
  CHECK(s.stalls() == 1);
}

TEST_CASE("stall watch: a worker loop counter standing still is reported while it lasts", "[stall]") {
  StallWatch s(kHz);
  CHECK(s.on_worker_loops(ms(100), 0).empty());  // no workers: nothing to judge
  CHECK(s.on_worker_loops(ms(105), 10).empty());
  CHECK(s.on_worker_loops(ms(110), 10).empty());  // 5 ms still: noise
  StallWatch::Gap g = s.on_worker_loops(ms(125), 10);
  CHECK(g.from == ms(105));
  CHECK(g.to == ms(125));
  g = s.on_worker_loops(ms(130), 10);  // still stalled: only the new part
  CHECK(g.from == ms(125));
  CHECK(g.to == ms(130));
  CHECK(s.on_worker_loops(ms(135), 11).empty());  // running again
  CHECK(s.stalls() == 1);
  CHECK(s.stalled() == ms(25));
}

TEST_CASE("stall watch: overlapping signals (SIGSTOP stops control and workers) are reported once", "[stall]") {
  StallWatch s(kHz);
  s.on_tick(ms(100));
  s.on_worker_loops(ms(100), 50);
  const StallWatch::Gap g = s.on_tick(ms(600));
  CHECK(g.from == ms(100));
  CHECK(g.to == ms(600));
  CHECK(s.on_worker_loops(ms(600), 50).empty());     // the same half second
  CHECK(s.on_reply_read(ms(100), ms(600)).empty());  // a reply stamped before, read after: the same too
  CHECK(s.on_reply_read(ms(601), ms(602)).empty());  // read promptly
  const StallWatch::Gap late = s.on_reply_read(ms(700), ms(760));
  CHECK(late.from == ms(700));
  CHECK(late.to == ms(760));
  CHECK(s.stalls() == 2);
  CHECK(s.stalled() == ms(560));
}
