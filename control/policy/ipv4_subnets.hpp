// IPv4 subnet arithmetic and text for the policy's checks: masks, overlap, containment, "a.b.c.d/len".
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "control/common/addr_format.hpp"
#include "control/policy/policy_types.hpp"

namespace wansteer::policy_reader {

inline uint32_t mask4(unsigned len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

inline bool overlaps(const Ipv4Cidr& a, const Ipv4Cidr& b) {
  uint32_t m = mask4(std::min(a.len, b.len));
  return (a.addr & m) == (b.addr & m);
}

inline bool inside(uint32_t ip, const Ipv4Cidr& c) { return (ip & c.mask()) == c.network(); }

// The address as written (host bits kept) and the subnet it lies in.
inline std::string cidr_str(const Ipv4Cidr& c) { return fmt::format("{}/{}", ipv4_str(c.addr), c.len); }
inline std::string net_str(const Ipv4Cidr& c) { return fmt::format("{}/{}", ipv4_str(c.network()), c.len); }

}  // namespace wansteer::policy_reader
