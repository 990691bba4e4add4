// IdleBackoff on a 1 GHz fake TSC: the worker spins for a while after work, then naps growing from the shortest to
// the longest, and work (or work pending) brings it back to spinning and short naps.
#include <catch2/catch.hpp>

#include "dataplane/idle_backoff.hpp"

using namespace wansteer;

namespace {
constexpr uint64_t kHz = 1'000'000'000;  // 1 tick = 1 ns
constexpr uint64_t us(uint64_t n) { return n * 1'000; }
}  // namespace

TEST_CASE("idle backoff: the spin window is 25 us of TSC ticks", "[idle]") {
  CHECK(IdleBackoffConfig::for_tsc_hz(kHz).spin_tsc == us(25));
  CHECK(IdleBackoffConfig::for_tsc_hz(2'596'000'000).spin_tsc == 64'900);
}

TEST_CASE("idle backoff: no nap within the spin window after work", "[idle]") {
  IdleBackoff b(IdleBackoffConfig::for_tsc_hz(kHz));
  b.busy(us(1000));
  CHECK(b.idle(us(1000)) == 0);
  CHECK(b.idle(us(1010)) == 0);
  CHECK(b.idle(us(1025) - 1) == 0);
  CHECK(b.idle(us(1025)) == us(5));  // spin over: the shortest nap first
}

TEST_CASE("idle backoff: naps double up to the longest and stay there", "[idle]") {
  const IdleBackoffConfig c = IdleBackoffConfig::for_tsc_hz(kHz);
  IdleBackoff b(c);
  b.busy(0);
  uint64_t t = us(100);
  CHECK(b.idle(t) == us(5));
  CHECK(b.idle(t += us(6)) == us(10));
  CHECK(b.idle(t += us(11)) == us(20));
  CHECK(b.idle(t += us(21)) == us(30));  // capped: 40 would exceed the longest nap
  for (int i = 0; i < 100; i++) CHECK(b.idle(t += us(31)) == c.max_nap_ns);
}

TEST_CASE("idle backoff: work restarts the spin and the short naps", "[idle]") {
  IdleBackoff b(IdleBackoffConfig::for_tsc_hz(kHz));
  b.busy(0);
  uint64_t t = us(100);
  for (int i = 0; i < 5; i++) b.idle(t += us(30));
  REQUIRE(b.idle(t += us(30)) == us(30));
  b.busy(t);  // a packet (or a shaper queue still holding packets)
  CHECK(b.idle(t + us(1)) == 0);
  CHECK(b.idle(t + us(24)) == 0);
  CHECK(b.idle(t + us(25)) == us(5));
}

TEST_CASE("idle backoff: a worker that never saw work naps from its first idle poll", "[idle]") {
  IdleBackoff b(IdleBackoffConfig::for_tsc_hz(kHz));
  CHECK(b.idle(us(30)) == us(5));
}

TEST_CASE("idle backoff: a configured range is honoured", "[idle]") {
  IdleBackoff b(IdleBackoffConfig{.spin_tsc = 0, .min_nap_ns = 1'000, .max_nap_ns = 3'000});
  CHECK(b.idle(1) == 1'000);
  CHECK(b.idle(2) == 2'000);
  CHECK(b.idle(3) == 3'000);
  CHECK(b.idle(4) == 3'000);
}
