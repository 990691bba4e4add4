// FailoverTiming: how long each steering move took, from the decision to the class's first packet on its new
// link, and the histogram of those durations that the exporter reports. Times are clock ticks.
#pragma once
#include <cstdint>
#include <vector>

#include "control/operations/stats.hpp"

namespace wansteer {

// Failover duration bucket upper bounds, in seconds (+Inf implied): the one list the timing and the metrics use.
inline const std::vector<double> kFailoverDurationBuckets = {0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5};

class FailoverTiming {
 public:
  explicit FailoverTiming(uint64_t hz);

  // Class `cls` was steered from one link to `link` at `now`; it had sent `base_packets` there so far.
  void start(size_t cls, uint8_t link, uint64_t now, uint64_t base_packets);
  // Ends the moves whose class has sent a packet on its new link since; writes each ended move's seconds into
  // done[cls] (others untouched). Returns how many ended.
  size_t sample(uint64_t now, const CounterTotals& t, size_t n_classes, double* done);

  const std::vector<uint64_t>& buckets() const { return buckets_; }  // per bound, then +Inf; not cumulative
  std::vector<uint64_t> cumulative() const;                          // per bound, cumulative (+Inf = count())
  double sum_seconds() const { return sum_s_; }
  uint64_t count() const { return count_; }
  bool pending(size_t cls) const { return moves_[cls].active; }

 private:
  struct Move {
    bool active = false;
    uint8_t link = kNoLink;
    uint64_t since = 0, base_packets = 0;
  };
  uint64_t hz_;
  Move moves_[kMaxClasses];
  std::vector<uint64_t> buckets_;
  double sum_s_ = 0;
  uint64_t count_ = 0;
};

}  // namespace wansteer
