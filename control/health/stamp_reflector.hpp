// StampReflector: the session logic of a stateful STAMP Session-Reflector (RFC 8762): per-client sequence
// numbers, emulated loss, delay and jitter, and the queue of replies waiting for their release time. No sockets.
#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/health/reflector_guard.hpp"
#include "control/health/stamp.hpp"
#include "control/health/stamp_auth.hpp"

namespace wansteer {

struct ReflectorSettings {
  double delay_ms = 0;                           // hold each reply this long
  double jitter_ms = 0;                          // plus or minus a uniform random amount up to this
  double loss_pct = 0;                           // drop this share of test packets on receive
  uint64_t session_idle_ns = 60'000'000'000ull;  // RFC 8762 leaves it to us; 60 s outlives any probe gap
  GuardSettings guard;                           // who is answered, how often
  stamp::Key auth_key;  // non-empty: RFC 8762 authenticated mode, answering only 112-byte packets with a valid HMAC
};

struct ReflectorCounters {
  uint64_t received = 0, reflected = 0, short_packets = 0, dropped = 0, sessions = 0;
  uint64_t denied = 0, rate_limited = 0;       // not on the allow-list; over the client's rate
  uint64_t unauthenticated = 0, bad_hmac = 0;  // authenticated mode: not of authenticated length; HMAC wrong
};

// A test packet as it came off the socket.
struct StampDatagram {
  const uint8_t* data = nullptr;
  size_t len = 0;
  sockaddr_storage from{};
  socklen_t from_len = 0;
  int ttl = 0;                  // TTL / hop limit it arrived with
  uint64_t rx_realtime_ns = 0;  // kernel receive time (CLOCK_REALTIME)
  uint64_t rx_mono_ns = 0;      // CLOCK_MONOTONIC when read
};

// A reply waiting to go out.
struct StampReply {
  uint64_t release_ns = 0;  // CLOCK_MONOTONIC
  uint64_t order = 0;       // arrival order: equal release times keep it
  sockaddr_storage to{};
  socklen_t to_len = 0;
  stamp::ReflectorPacket pkt;
  std::vector<uint8_t> tail;  // unauthenticated mode: bytes after the 44-byte base packet, echoed so both
                              // directions have the same size (authenticated packets are exactly 112 bytes)
  bool operator>(const StampReply& o) const {
    return release_ns != o.release_ns ? release_ns > o.release_ns : order > o.order;
  }
};

// What became of one test packet (for the program's verbose log).
struct ReflectorVerdict {
  enum class Kind { too_short, denied, rate_limited, unauthenticated, bad_hmac, dropped, send_now, held };
  Kind kind = Kind::too_short;
  uint32_t sender_seq = 0, reply_seq = 0;
  double hold_ms = 0;
};

class StampReflector {
 public:
  using UniformFn = std::function<double()>;  // a random number in [0, 1): injected so tests can choose it

  StampReflector(ReflectorSettings settings, UniformFn uniform, uint16_t own_error_estimate);

  // Takes one received datagram. A reply due now is written to `*now` (kind send_now); a held one is queued.
  ReflectorVerdict on_datagram(const StampDatagram& d, StampReply* now);
  // The earliest queued reply whose release time has come, if any.
  bool pop_due(uint64_t now_mono_ns, StampReply* out);
  // How long to wait for the next release (rounded up, so a wait never ends before it and spins), at most `cap_ms`.
  int wait_ms(uint64_t now_mono_ns, int cap_ms) const;
  // Forgets sessions idle for session_idle_ns; runs its sweep at most once a second.
  void expire_idle(uint64_t now_mono_ns);
  // Stamps the transmit time and writes the reply's bytes to `buf` (with the HMAC in authenticated mode); returns
  // their count.
  size_t encode(StampReply& r, uint64_t tx_realtime_ns, uint8_t* buf) const;
  void on_sent() { counters_.reflected++; }

  const ReflectorCounters& counters() const { return counters_; }
  size_t session_count() const { return sessions_.size(); }
  size_t queued() const { return queue_.size(); }

 private:
  struct Session {
    uint32_t next_seq = 0;
    uint64_t last_seen_ns = 0;  // CLOCK_MONOTONIC
  };

  // Decodes the sender's packet in the reflector's mode; false (counted, kind set in *v) when it is refused.
  bool read_sender(const StampDatagram& d, stamp::SenderPacket* sp, ReflectorVerdict* v);

  ReflectorSettings settings_;
  ReflectorGuard guard_;
  UniformFn uniform_;
  uint16_t own_error_;
  // Session key: the sender's address and port as raw bytes (RFC 8762 section 4.3: the counter is per session).
  std::unordered_map<std::string, Session> sessions_;
  std::priority_queue<StampReply, std::vector<StampReply>, std::greater<>> queue_;
  ReflectorCounters counters_;
  uint64_t order_ = 0;
  uint64_t next_sweep_ns_ = 0;
};

}  // namespace wansteer
