// Text forms of addresses for the control plane (policy errors, views, events, the reflector's log): the one place
// that turns IPv4/IPv6/MAC bytes into strings. Header-only, no DPDK.
#pragma once
#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace wansteer {

// An IPv4 address held in host byte order (as the policy and the control plane keep them), dotted quad.
inline std::string ipv4_str(uint32_t host_order) {
  return fmt::format("{}.{}.{}.{}", host_order >> 24, (host_order >> 16) & 255, (host_order >> 8) & 255,
                     host_order & 255);
}

// An IPv6 address from its 16 network-order bytes, in RFC 5952 form.
inline std::string ipv6_str(const uint8_t* bytes16) {
  char buf[INET6_ADDRSTRLEN];
  ::inet_ntop(AF_INET6, bytes16, buf, sizeof buf);
  return buf;
}
inline std::string ipv6_str(const std::array<uint8_t, 16>& a) { return ipv6_str(a.data()); }

// An address from network-order bytes as a flow key holds it: 4 bytes for IPv4, 16 for IPv6.
inline std::string ip_bytes_str(const uint8_t* bytes, bool v4) {
  return v4 ? fmt::format("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]) : ipv6_str(bytes);
}

// A MAC address as six colon-separated lower-case hex bytes.
inline std::string mac_str(const uint8_t* b) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
}

}  // namespace wansteer
