// ArpHold: packets waiting for a LAN host's ARP answer (control thread).
#include "control/runtime/arp_hold.hpp"

#include <rte_mbuf.h>

namespace wansteer {

bool ArpHold::hold(uint32_t ip, rte_mbuf* m, uint64_t now) {
  if (total_ >= kTotal) return false;
  auto& q = by_host_[ip];
  if (q.size() >= kPerHost) return false;
  q.emplace_back(m, now);
  total_++;
  return true;
}

std::vector<rte_mbuf*> ArpHold::release(uint32_t ip) {
  std::vector<rte_mbuf*> out;
  const auto it = by_host_.find(ip);
  if (it == by_host_.end()) return out;
  for (const auto& [m, since] : it->second) out.push_back(m);
  total_ -= it->second.size();
  by_host_.erase(it);
  return out;
}

size_t ArpHold::expire(uint64_t now) {
  size_t freed = 0;
  for (auto it = by_host_.begin(); it != by_host_.end();) {
    auto& q = it->second;
    size_t stale = 0;
    while (stale < q.size() && now - q[stale].second >= kHoldMs * ms_) rte_pktmbuf_free(q[stale++].first);
    q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(stale));
    freed += stale;
    it = q.empty() ? by_host_.erase(it) : std::next(it);
  }
  total_ -= freed;
  return freed;
}

std::vector<uint32_t> ArpHold::hosts() const {
  std::vector<uint32_t> out;
  out.reserve(by_host_.size());
  for (const auto& [ip, q] : by_host_) out.push_back(ip);
  return out;
}

size_t ArpHold::clear() {
  const size_t n = total_;
  for (auto& [ip, q] : by_host_)
    for (const auto& [m, since] : q) rte_pktmbuf_free(m);
  by_host_.clear();
  total_ = 0;
  return n;
}

}  // namespace wansteer
