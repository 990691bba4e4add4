// StallWatch: the edge's own scheduling gaps, from three signals, reported once each (control thread).
#include "control/health/stall_watch.hpp"

#include <algorithm>

namespace wansteer {

StallWatch::Gap StallWatch::on_tick(uint64_t now) {
  const uint64_t prev = last_tick_;
  last_tick_ = std::max(last_tick_, now);
  if (prev == 0 || now <= prev || now - prev < min_stall_) return {};
  return report(prev, now);
}

StallWatch::Gap StallWatch::on_worker_loops(uint64_t now, uint64_t loops) {
  if (loops == 0) return {};
  if (loops != loops_ || loops_moved_ == 0) {
    loops_ = loops;
    loops_moved_ = now;
    return {};
  }
  if (now <= loops_moved_ || now - loops_moved_ < min_stall_) return {};
  return report(loops_moved_, now);
}

StallWatch::Gap StallWatch::on_reply_read(uint64_t rx, uint64_t read) {
  if (read <= rx || read - rx < min_stall_) return {};
  return report(rx, read);
}

StallWatch::Gap StallWatch::report(uint64_t from, uint64_t to) {
  from = std::max(from, reported_until_);
  if (to <= from) return {};
  // A stall still going on (workers) is reported in pieces, each starting where the last ended: one stall.
  if (from != reported_until_ || stalls_ == 0) stalls_++;
  reported_until_ = to;
  stalled_ += to - from;
  return {from, to};
}

}  // namespace wansteer
