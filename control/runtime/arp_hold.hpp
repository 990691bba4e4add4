// ArpHold: packets for LAN hosts the edge is asking for by ARP, held for a short time instead of dropped, as a
// host's own stack does (Linux keeps them in the neighbour's unresolved queue, unres_qlen). Without it the first
// reply to a host that has just appeared (its ARP for the edge taught control its MAC, but the workers' neighbour
// table with it is not published yet) was lost. Bounded per host and in all; what finds no room or waits too long is
// freed, and the caller counts it as a no_neighbor drop. Control thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

struct rte_mbuf;

namespace wansteer {

class ArpHold {
 public:
  static constexpr size_t kPerHost = 8;      // a few packets of a reply burst (Linux holds a 200 KiB queue)
  static constexpr size_t kTotal = 128;      // all hosts together: mbufs control keeps from the pool at most
  static constexpr uint64_t kHoldMs = 3000;  // three ARP tries a second apart, as Linux's probes

  explicit ArpHold(uint64_t ticks_per_ms) : ms_(ticks_per_ms) {}
  ~ArpHold() { clear(); }
  ArpHold(const ArpHold&) = delete;
  ArpHold& operator=(const ArpHold&) = delete;

  // Holds `m` for `ip` (host order) at `now` (ticks); false when there is no room: `m` is then the caller's.
  bool hold(uint32_t ip, rte_mbuf* m, uint64_t now);
  // Takes `ip`'s packets out, oldest first (empty when none are held).
  std::vector<rte_mbuf*> release(uint32_t ip);
  // Frees every packet held longer than kHoldMs; returns how many.
  size_t expire(uint64_t now);
  // Frees every packet (shutdown); returns how many.
  size_t clear();
  // The hosts with packets held (host order).
  std::vector<uint32_t> hosts() const;
  // How many packets are held for `ip`.
  size_t held_for(uint32_t ip) const {
    const auto it = by_host_.find(ip);
    return it == by_host_.end() ? 0 : it->second.size();
  }
  size_t size() const { return total_; }

 private:
  uint64_t ms_;
  std::map<uint32_t, std::vector<std::pair<rte_mbuf*, uint64_t>>> by_host_;  // per host, oldest first
  size_t total_ = 0;
};

}  // namespace wansteer
