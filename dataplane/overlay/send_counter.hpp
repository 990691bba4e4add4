// Send counters of one keypair shared by every worker that seals with it: WireGuard uses each counter value once per
// key, so workers reserve blocks of counters from one atomic per keypair and hand them out per packet from per-core
// state.
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/overlay/replay_window.hpp"

namespace wansteer::wg {

// Counters one reservation takes. A worker drops what is left of its block at the end of each burst (end_burst), so
// it holds counters only while it seals one burst (<= 32 packets, one reservation): messages of several workers leave
// out of counter order by at most about workers x 2 x kCounterBlock (2048 with 16 workers). The receiver takes
// counters up to 8128 behind the newest: ReplayWindow (8192 bits less one word, RFC 6479), the same as the Linux
// module (COUNTER_WINDOW_SIZE = 8192 - 64) and wireguard-go (127 blocks of 64 bits). Queues after sealing add to the
// disorder (a low-priority queue holds packets while higher ones pass): their depth must stay well below the window.
// Dropping the rest of a block wastes counters at low rates (up to 63 per burst); even at 64 x 100 Mpps the
// REKEY_AFTER_MESSAGES limit (2^60) takes years, and REKEY_AFTER_TIME replaces the key every two minutes anyway.
inline constexpr uint64_t kCounterBlock = 64;

// dp: reserve() by every worker sealing with the keypair; cp: creates it, reads used() (REKEY_AFTER_MESSAGES).
// Alone on its cache line: the keys next to it are read by every worker on every packet.
struct alignas(64) SendCounter {
  std::atomic<uint64_t> next{0};

  uint64_t used() const { return next.load(std::memory_order_relaxed); }
  // Reserves n counters: the first in *first; false (nothing reserved) once REJECT_AFTER_MESSAGES is reached, so
  // the counter never runs past it and can never wrap to values already used.
  bool reserve(uint64_t n, uint64_t* first) {
    uint64_t at = next.load(std::memory_order_relaxed);
    do {
      if (at >= kRejectAfterMessages) return false;
    } while (!next.compare_exchange_weak(at, at + n, std::memory_order_relaxed));
    *first = at;
    return true;
  }
};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

// One worker's reserved counters of the keypair it seals with (per core, plain integers).
struct CounterLease {
  uint64_t next = 0, end = 0;  // [next, end): reserved, not yet used

  // The counter for the next message; false once the key is exhausted: stop sending with it.
  bool take(SendCounter& source, uint64_t* counter) {
    if (next == end) {
      uint64_t first = 0;
      if (!source.reserve(kCounterBlock, &first)) return false;
      next = first, end = first + kCounterBlock;
    }
    if (next >= kRejectAfterMessages) return false;
    *counter = next++;
    return true;
  }
  // Forgets the rest of the block: call after each burst (and so before the send keypair can change).
  void end_burst() { next = end = 0; }
};

}  // namespace wansteer::wg
