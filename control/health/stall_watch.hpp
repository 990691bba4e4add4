// StallWatch: notices when the edge itself did not run (control ticks far apart, the workers' loop counter standing
// still, probe replies read long after a worker received them), so silence during it is not blamed on the line.
#pragma once
#include <cstdint>

namespace wansteer {

// Times are ticks of the control clock (the workers' TSC in the daemon). Each method returns the part of a stall not
// reported before (stalls found by two signals overlap, e.g. a SIGSTOP stops control and workers alike): the caller
// excuses exactly that.
class StallWatch {
 public:
  // Shorter gaps are ordinary scheduling noise (the control loop sleeps 1 ms, a busy host adds a few ms); they are
  // well under every detect time, so ignoring them loses nothing.
  static constexpr uint64_t kMinStallMs = 20;
  explicit StallWatch(uint64_t hz) : min_stall_(hz / 1000 * kMinStallMs) {}

  struct Gap {
    uint64_t from = 0, to = 0;
    bool empty() const { return to <= from; }
  };

  // A control tick at `now`: a long gap since the previous one is a control stall.
  Gap on_tick(uint64_t now);
  // The workers' summed loop counter, sampled at `now`. Workers loop constantly, even idle, so a counter that
  // stood still for kMinStallMs means they were not scheduled; reported while it lasts, so a long worker stall
  // never counts against liveness. `loops` 0 = no workers (tests without a data plane): nothing to judge.
  Gap on_worker_loops(uint64_t now, uint64_t loops);
  // A probe reply a worker stamped at `rx`, read by control at `read`: waiting long in the ring is a stall.
  Gap on_reply_read(uint64_t rx, uint64_t read);

  uint64_t stalls() const { return stalls_; }    // stalls found
  uint64_t stalled() const { return stalled_; }  // their total length, ticks

 private:
  Gap report(uint64_t from, uint64_t to);

  uint64_t min_stall_;
  uint64_t last_tick_ = 0;
  uint64_t loops_ = 0, loops_moved_ = 0;
  uint64_t reported_until_ = 0;  // everything before this was reported already
  uint64_t stalls_ = 0, stalled_ = 0;
};

}  // namespace wansteer
