// TscClock: the daemon's clock, the CPU's time-stamp counter (the same clock workers stamp probe replies with).
#pragma once
#include <rte_cycles.h>

#include "control/common/clock.hpp"

namespace wansteer {

class TscClock final : public Clock {
 public:
  TscClock() : hz_(rte_get_tsc_hz()) {}
  uint64_t now() const override { return rte_rdtsc(); }
  uint64_t hz() const override { return hz_; }

 private:
  uint64_t hz_;
};

}  // namespace wansteer
