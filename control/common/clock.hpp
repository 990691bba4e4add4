// Clock: where the control plane's parts get the time. Times are ticks of one clock (the TSC in the daemon, so
// probe replies stamped by workers compare directly); tests use a FakeClock whose ticks are nanoseconds.
#pragma once
#include <cstdint>

namespace wansteer {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t now() const = 0;            // ticks
  virtual uint64_t hz() const = 0;             // ticks per second
  uint64_t ms() const { return hz() / 1000; }  // ticks per millisecond
};

// A clock the test moves by hand: 1 tick = 1 ns.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(uint64_t start_ns = 1'000'000'000) : now_(start_ns) {}
  uint64_t now() const override { return now_; }
  uint64_t hz() const override { return 1'000'000'000; }
  void advance_ms(uint64_t ms) { now_ += ms * 1'000'000; }

 private:
  uint64_t now_;
};

}  // namespace wansteer
