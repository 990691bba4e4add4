// FailoverTiming: move durations and their histogram (control thread).
#include "control/steering/failover_timing.hpp"

namespace wansteer {

FailoverTiming::FailoverTiming(uint64_t hz) : hz_(hz), buckets_(kFailoverDurationBuckets.size() + 1, 0) {}

void FailoverTiming::start(size_t cls, uint8_t link, uint64_t now, uint64_t base_packets) {
  moves_[cls] = Move{true, link, now, base_packets};
}

size_t FailoverTiming::sample(uint64_t now, const CounterTotals& t, size_t n_classes, double* done) {
  size_t ended = 0;
  for (size_t c = 0; c < n_classes && c < kMaxClasses; c++) {
    Move& m = moves_[c];
    if (!m.active || m.link >= kMaxLinks) continue;
    if (t.class_link_packets[c][m.link] <= m.base_packets) continue;  // nothing on the new link yet
    const double secs = static_cast<double>(now - m.since) / static_cast<double>(hz_);
    size_t b = 0;
    while (b < kFailoverDurationBuckets.size() && secs > kFailoverDurationBuckets[b]) b++;
    buckets_[b]++;
    sum_s_ += secs;
    count_++;
    done[c] = secs;
    m.active = false;
    ended++;
  }
  return ended;
}

std::vector<uint64_t> FailoverTiming::cumulative() const {
  std::vector<uint64_t> out(kFailoverDurationBuckets.size(), 0);
  uint64_t running = 0;
  for (size_t b = 0; b < out.size(); b++) {
    running += buckets_[b];
    out[b] = running;
  }
  return out;
}

}  // namespace wansteer
