// A site peer's endpoint, learned as WireGuard learns it (issue 13, roaming): the outer source of the last message
// that authenticated, a handshake (seen here on the control thread) or a transport message (recorded per core by the
// workers, dataplane/overlay/peer_source.hpp). Control thread; the newest is published in the snapshot.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/limits.hpp"

namespace wansteer {

struct WorkerContext;

class PeerEndpoints {
 public:
  static constexpr unsigned kMaxCores = 64;
  static constexpr uint64_t kRecentNs = 5'000'000'000;  // an endpoint heard from within this is "recent"
  static constexpr uint64_t kStickyNs = 100'000'000;    // the current endpoint is kept while heard within this

  // The policy's endpoint (peer_source_word, 0: none): where to send until the peer is heard from.
  void reset(uint64_t configured);
  // An authenticated handshake message from word (peer_source_word | link).
  void heard(uint64_t word, uint64_t now_ns);
  // A copy of a message already opened came from word: reachable there (other_recent), not the endpoint.
  void heard_copy(uint64_t word, uint64_t now_ns);
  // Reads each core's record; a core whose count moved since the last read heard the peer from its source.
  void read_cores(const std::vector<WorkerContext*>& workers, uint64_t now_ns);

  uint64_t current() const { return current_; }  // peer_source_word | link; 0: none yet
  // The other endpoint heard from within kRecentNs (the peer's second link), 0: none. Same address and port as
  // current() never counts.
  uint64_t other_recent(uint64_t now_ns) const;
  // other_recent() as of the last read_cores() (what to publish; its changes move generation() too).
  uint64_t other() const { return other_; }
  uint64_t generation() const { return generation_; }  // moves when current() or other() changes

 private:
  struct Heard {
    uint64_t word = 0;  // without the link byte
    uint64_t at_ns = 0;
  };
  void note(uint64_t word, uint64_t now_ns);
  Heard* remember(uint64_t addr, uint64_t now_ns);  // the slot of addr, taken (the older one) if it has none

  uint64_t current_ = 0;
  uint64_t generation_ = 0;
  uint64_t other_ = 0;
  Heard recent_[2];  // the two last distinct endpoints heard, each with when
  uint64_t core_bursts_[kMaxCores] = {};
  uint64_t core_copies_[kMaxCores] = {};
};

}  // namespace wansteer
