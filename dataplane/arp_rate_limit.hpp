// Per-worker token bucket for ARP handed to the control thread, so an ARP flood cannot fill the ring that also
// carries probe replies (and starve link monitoring). One writer: the worker that owns it.
#pragma once
#include <cstdint>

#include <rte_cycles.h>

namespace wansteer {

struct ArpRateLimit {
  // A LAN of a few hundred hosts ARPs far below this; a flood beyond it is dropped as arp_rate_limited.
  static constexpr uint64_t kPerSecond = 2000;
  static constexpr uint64_t kBurst = 64;

  uint64_t tokens = kBurst;
  uint64_t last_tsc = 0;
  uint64_t tsc_per_token = 0;  // set on first use: rte_get_tsc_hz() is known only after EAL init

  // Takes one token at `now_tsc`; false when the bucket is empty. Refills only when ARP arrives, so idle costs 0.
  bool take(uint64_t now_tsc) {
    if (tsc_per_token == 0) {
      tsc_per_token = rte_get_tsc_hz() / kPerSecond;
      if (tsc_per_token == 0) tsc_per_token = 1;
      last_tsc = now_tsc;
    }
    if (now_tsc > last_tsc) {
      const uint64_t add = (now_tsc - last_tsc) / tsc_per_token;
      if (add > 0) {
        tokens = tokens + add > kBurst ? kBurst : tokens + add;
        last_tsc += add * tsc_per_token;
      }
    }
    if (tokens == 0) return false;
    tokens--;
    return true;
  }
};

}  // namespace wansteer
