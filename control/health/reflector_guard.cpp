// ReflectorGuard implementation: prefix match over raw address bytes, one token bucket per client address.
#include "control/health/reflector_guard.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace wansteer {

namespace {

bool prefix_match(const uint8_t* a, const uint8_t* net, unsigned len) {
  const unsigned full = len / 8, rest = len % 8;
  if (std::memcmp(a, net, full) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == net[full];
}

// The client's address: family and bytes (IPv4-mapped IPv6 counts as IPv4).
bool client_address(const sockaddr_storage& ss, bool* v4, const uint8_t** bytes) {
  if (ss.ss_family == AF_INET) {
    *v4 = true;
    *bytes = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr);
    return true;
  }
  if (ss.ss_family != AF_INET6) return false;
  const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
  *v4 = IN6_IS_ADDR_V4MAPPED(a6);
  *bytes = a6->s6_addr + (*v4 ? 12 : 0);
  return true;
}

}  // namespace

std::optional<ClientPrefix> parse_client_prefix(const std::string& text, std::string* why) {
  const size_t slash = text.find('/');
  const std::string addr = text.substr(0, slash);
  ClientPrefix p;
  p.v4 = addr.find(':') == std::string::npos;
  if (inet_pton(p.v4 ? AF_INET : AF_INET6, addr.c_str(), p.net.data()) != 1) {
    *why = "\"" + text + "\" is not an IPv4 or IPv6 address or prefix";
    return std::nullopt;
  }
  const unsigned max_len = p.v4 ? 32 : 128;
  unsigned len = max_len;
  if (slash != std::string::npos) {
    const std::string l = text.substr(slash + 1);
    if (l.empty() || l.size() > 3 || !std::all_of(l.begin(), l.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(l) > max_len) {
      *why = "\"" + text + "\": prefix length must be 0.." + std::to_string(max_len);
      return std::nullopt;
    }
    len = static_cast<unsigned>(std::stoul(l));
  }
  p.len = static_cast<uint8_t>(len);
  for (unsigned bit = len; bit < max_len; bit++) p.net[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return p;
}

bool ReflectorGuard::allowed(bool v4, const uint8_t* addr) const {
  if (s_.allow.empty()) return true;
  return std::any_of(s_.allow.begin(), s_.allow.end(),
                     [&](const ClientPrefix& p) { return p.v4 == v4 && prefix_match(addr, p.net.data(), p.len); });
}

ReflectorGuard::Verdict ReflectorGuard::admit(const sockaddr_storage& from, uint64_t now_ns) {
  bool v4 = false;
  const uint8_t* addr = nullptr;
  if (!client_address(from, &v4, &addr) || !allowed(v4, addr)) return Verdict::denied;
  if (s_.rate_pps <= 0) return Verdict::pass;
  const double depth = std::max(s_.burst, 1.0);
  auto [it, created] = buckets_.try_emplace(std::string(reinterpret_cast<const char*>(addr), v4 ? 4 : 16));
  Bucket& b = it->second;
  if (created) {
    b.tokens = depth;
  } else if (now_ns > b.last_ns) {
    b.tokens = std::min(depth, b.tokens + static_cast<double>(now_ns - b.last_ns) * 1e-9 * s_.rate_pps);
  }
  b.last_ns = std::max(b.last_ns, now_ns);
  if (b.tokens < 1.0) return Verdict::rate_limited;
  b.tokens -= 1.0;
  return Verdict::pass;
}

void ReflectorGuard::expire(uint64_t now_ns, uint64_t idle_ns) {
  std::erase_if(buckets_, [&](const auto& kv) { return now_ns - kv.second.last_ns >= idle_ns; });
}

}  // namespace wansteer
