// ReflectorGuard: who a STAMP reflector answers, and how often. An allow-list of client prefixes and a token
// bucket per client address, so the reflector cannot be used to bounce a flood at a third party's address.
#pragma once
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace wansteer {

// One allowed client prefix, IPv4 or IPv6 (an IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d and
// is matched as IPv4).
struct ClientPrefix {
  bool v4 = true;
  std::array<uint8_t, 16> net{};  // network-order bytes (the first 4 for IPv4), host bits cleared
  uint8_t len = 0;
};

// "198.51.100.0/24", "2001:db8::/32" or a bare address (a /32 or /128); nullopt with *why when malformed.
std::optional<ClientPrefix> parse_client_prefix(const std::string& text, std::string* why);

struct GuardSettings {
  std::vector<ClientPrefix> allow;  // empty: every client (the program warns)
  double rate_pps = 0;              // per client address; 0: no limit
  double burst = 0;                 // bucket depth in packets (at least 1 when rate_pps > 0)
};

class ReflectorGuard {
 public:
  enum class Verdict { pass, denied, rate_limited };

  explicit ReflectorGuard(GuardSettings s) : s_(std::move(s)) {}
  // Whether to answer a test packet from `from` that arrived at `now_ns` (CLOCK_MONOTONIC).
  Verdict admit(const sockaddr_storage& from, uint64_t now_ns);
  // Forgets buckets untouched for `idle_ns` (they would be full again anyway).
  void expire(uint64_t now_ns, uint64_t idle_ns);
  size_t tracked_clients() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    uint64_t last_ns = 0;
  };
  bool allowed(bool v4, const uint8_t* addr) const;

  GuardSettings s_;
  std::unordered_map<std::string, Bucket> buckets_;  // key: the client's address bytes (not its port)
};

}  // namespace wansteer
