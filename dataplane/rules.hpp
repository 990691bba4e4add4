// Compiled classification rules: the contract between the policy compiler (control/) and the classifier (dataplane/).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace wansteer {

struct PortRange {
  uint16_t lo = 0;
  uint16_t hi = 65535;
  bool any() const { return lo == 0 && hi == 65535; }
};

struct Prefix4 {
  uint32_t addr = 0;  // host byte order
  uint8_t len = 0;
};

struct Prefix6 {
  std::array<uint8_t, 16> addr{};  // network byte order
  uint8_t len = 0;
};

// One rule in policy order. Lists are alternatives (any element matches); fields are all required.
// An address side with neither IPv4 nor IPv6 prefixes matches any address; a side with only IPv4
// prefixes never matches IPv6 packets (and vice versa).
struct ClassRule {
  uint8_t class_id = 0;
  int16_t proto = -1;         // IP protocol number, -1 = any
  std::vector<uint8_t> dscp;  // empty = any
  PortRange sport, dport;     // TCP/UDP ports; a non-any range never matches non-TCP/UDP packets
  std::vector<Prefix4> src4, dst4;
  std::vector<Prefix6> src6, dst6;
  int32_t vlan = -1;  // outer VLAN id; -1 = any, 0 = untagged only

  bool src_any() const { return src4.empty() && src6.empty(); }
  bool dst_any() const { return dst4.empty() && dst6.empty(); }
  bool matches_v4() const { return (src_any() || !src4.empty()) && (dst_any() || !dst4.empty()); }
  bool matches_v6() const { return (src_any() || !src6.empty()) && (dst_any() || !dst6.empty()); }
};

}  // namespace wansteer
