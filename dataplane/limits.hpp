// Compile-time sizes shared by the fast path and control: bursts, links, classes, workers.
#pragma once
#include <cstdint>

namespace wansteer {

inline constexpr uint16_t kBurst = 32;                // packets per rx burst
inline constexpr uint32_t kMaxLinks = 8;              // WAN links per edge
inline constexpr uint32_t kMaxClasses = 16;           // application classes per policy
inline constexpr uint32_t kMaxWorkers = 16;           // worker lcores
inline constexpr uint32_t kMaxPorts = 1 + kMaxLinks;  // port 0 is the LAN, ports 1..N the WAN links
inline constexpr uint32_t kMaxLanSubnets = 8;         // LAN subnets (each optionally on a VLAN)
inline constexpr uint8_t kNoLink = 0xff;              // "no usable link" in steering decisions
inline constexpr uint8_t kNoClass = 0xff;

}  // namespace wansteer
