// LinkHistory: the status page's short history per link (state, loss, RTT, jitter), one sample a second for the
// last two minutes. Control thread only; the status snapshot copies it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

namespace wansteer {

struct LinkSample {
  uint64_t unix_ms = 0;
  enum State : uint8_t { down = 0, degraded = 1, up = 2 } state = down;
  float loss_pct = 0, rtt_ms = 0, jitter_ms = 0;
};

// The state name `show links` uses ("up", "degraded", "down") as a sample state, and back.
LinkSample::State sample_state(const std::string_view& name);
const char* sample_state_name(LinkSample::State s);

class LinkHistory {
 public:
  static constexpr size_t kSamples = 120;
  static constexpr uint64_t kPeriodMs = 1000;

  // True when a sample is due at `now_ms` (a monotonic time in ms): kPeriodMs after the last one taken.
  bool due(uint64_t now_ms) const { return !taken_ || now_ms - last_ms_ >= kPeriodMs; }
  // Records one sample per link (index = link) taken at now_ms; a change in the number of links starts over.
  void record(uint64_t now_ms, const std::vector<LinkSample>& per_link);
  // The link's samples, oldest first (empty for an unknown link).
  std::vector<LinkSample> samples(size_t link) const;

 private:
  std::vector<std::deque<LinkSample>> rings_;
  uint64_t last_ms_ = 0;
  bool taken_ = false;
};

}  // namespace wansteer
