// Where a site peer's authenticated transport messages come from (issue 13, roaming): each worker records the outer
// source of the last message it opened, per burst, in its own cache line; control reads every core's record and
// publishes the newest as the endpoint that sealed messages go to (control/runtime/overlay_endpoints.hpp).
#pragma once

#include <atomic>
#include <cstdint>

namespace wansteer {

// An outer source as one word: IPv4 (host order) in bits 63..32, UDP port in 31..16, the link it came on in 7..0.
// Never 0 for a real source (the address is not 0.0.0.0).
constexpr uint64_t peer_source_word(uint32_t ip, uint16_t port) {
  return (uint64_t{ip} << 32) | (uint64_t{port} << 16);
}
constexpr uint32_t peer_source_ip(uint64_t w) { return static_cast<uint32_t>(w >> 32); }
constexpr uint16_t peer_source_port(uint64_t w) { return static_cast<uint16_t>(w >> 16); }
constexpr uint8_t peer_source_link(uint64_t w) { return static_cast<uint8_t>(w); }

// dp: rw (its worker: one store of each word per burst that opened a message), cp: ro. `bursts` moves after
// `source` is stored (release): control, having read a new `bursts` (acquire), reads a source at least that new.
// The copy_ pair: the same for copies of messages already opened (a peer duplicating over its two links), which
// only tell where else the peer is reachable.
struct alignas(64) PeerSourceSeen {
  std::atomic<uint64_t> source{0};
  std::atomic<uint64_t> bursts{0};
  std::atomic<uint64_t> copy_source{0};
  std::atomic<uint64_t> copy_bursts{0};

  void record(uint64_t word) { store(source, bursts, word); }
  void record_copy(uint64_t word) { store(copy_source, copy_bursts, word); }

 private:
  static void store(std::atomic<uint64_t>& where, std::atomic<uint64_t>& count, uint64_t word) {
    where.store(word, std::memory_order_relaxed);
    count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

}  // namespace wansteer
