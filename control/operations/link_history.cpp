// LinkHistory: bounded per-link sample rings for the status page's graphs.
#include "control/operations/link_history.hpp"

#include <string_view>

namespace wansteer {

LinkSample::State sample_state(const std::string_view& name) {
  return name == "up" ? LinkSample::up : name == "degraded" ? LinkSample::degraded : LinkSample::down;
}

const char* sample_state_name(LinkSample::State s) {
  return s == LinkSample::up ? "up" : s == LinkSample::degraded ? "degraded" : "down";
}

void LinkHistory::record(uint64_t now_ms, const std::vector<LinkSample>& per_link) {
  if (rings_.size() != per_link.size()) rings_.assign(per_link.size(), {});
  for (size_t l = 0; l < per_link.size(); l++) {
    rings_[l].push_back(per_link[l]);
    while (rings_[l].size() > kSamples) rings_[l].pop_front();
  }
  last_ms_ = now_ms;
  taken_ = true;
}

std::vector<LinkSample> LinkHistory::samples(size_t link) const {
  if (link >= rings_.size()) return {};
  return {rings_[link].begin(), rings_[link].end()};
}

}  // namespace wansteer
