// The per-worker token bucket that limits the ICMP errors a worker sends (RFC 1812 4.3.2.8), so a flood of expiring
// packets cannot turn the edge into a traffic source. One writer: its worker.
#pragma once
#include <cstdint>

namespace wansteer {

// Linux's defaults (net.ipv4.icmp_msgs_per_sec, icmp_msgs_burst), per worker: traceroute's 3 probes per hop never
// wait, a flood of TTL-1 packets gets 1000 errors a second out of each core.
inline constexpr uint32_t kIcmpErrorsPerSecond = 1000;
inline constexpr uint32_t kIcmpErrorBurst = 50;

struct IcmpErrorBudget {
  uint64_t refilled_tsc = 0;  // TSC up to which tokens have been added
  uint32_t tokens = kIcmpErrorBurst;

  // Takes one token if there is one, after adding those earned since the last refill (tsc_hz: TSC ticks a second).
  bool take(uint64_t now_tsc, uint64_t tsc_hz) {
    const uint64_t per_token = tsc_hz / kIcmpErrorsPerSecond + 1;
    if (now_tsc > refilled_tsc) {
      const uint64_t earned = (now_tsc - refilled_tsc) / per_token;
      if (tokens + earned >= kIcmpErrorBurst) {
        tokens = kIcmpErrorBurst;
        refilled_tsc = now_tsc;
      } else {
        tokens += static_cast<uint32_t>(earned);
        refilled_tsc += earned * per_token;  // the remainder keeps counting towards the next token
      }
    }
    if (tokens == 0) return false;
    tokens--;
    return true;
  }
};

}  // namespace wansteer
