// Address tests against the snapshot's LAN subnets and the edge's own addresses, shared by LAN admission, the
// WAN->LAN route and the ICMP errors.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/snapshot.hpp"

namespace wansteer {

// An IPv4 address from PacketMeta (network order, first 4 bytes), in host order.
inline uint32_t ipv4_of(const std::array<uint8_t, 16>& a) {
  uint32_t be;
  std::memcpy(&be, a.data(), 4);
  return be_to_host32(be);
}

// Sets s.lan_any_network/mask to the longest prefix that holds every subnet of s.lan[0..n_lan): the shortest of
// their masks, cut above the highest bit in which two networks differ. (0/0 without subnets: nothing ruled out.)
inline void lan_summarise(DataplaneSnapshot& s) {
  uint32_t network = s.n_lan != 0 ? s.lan[0].network : 0, mask = s.n_lan != 0 ? s.lan[0].mask : 0;
  for (uint8_t i = 1; i < s.n_lan; i++) {
    mask &= s.lan[i].mask;
    const uint32_t differ = network ^ s.lan[i].network;
    if (differ != 0) mask &= ~(0xffffffffu >> __builtin_clz(differ));  // keeps the bits above the highest differing
  }
  s.lan_any_network = network & mask;
  s.lan_any_mask = mask;
}

// Index of the LAN subnet holding `ip` (host order), or -1.
inline int lan_subnet_of(const DataplaneSnapshot& s, uint32_t ip) {
  if ((ip & s.lan_any_mask) != s.lan_any_network) return -1;  // outside the prefix all of them share
  for (uint8_t i = 0; i < s.n_lan; i++)
    if ((ip & s.lan[i].mask) == s.lan[i].network) return i;
  return -1;
}

inline bool is_own_lan_ip(const DataplaneSnapshot& s, uint32_t ip) {
  for (uint8_t i = 0; i < s.n_lan; i++)
    if (s.lan[i].own_ip == ip) return true;
  return false;
}

// True when the policy has a subnet on `vlan` (0 = untagged): frames on any other VLAN are not admitted.
inline bool lan_vlan_configured(const DataplaneSnapshot& s, uint16_t vlan) {
  for (uint8_t i = 0; i < s.n_lan; i++)
    if (s.lan[i].vlan == vlan) return true;
  return false;
}

// Strict reverse-path check for a LAN source (host order) that arrived on `vlan`: it must be of a subnet on that
// VLAN, or, where that VLAN has a routed subnet (hosts behind another router), of no LAN subnet on another VLAN.
inline bool lan_source_admitted(const DataplaneSnapshot& s, uint16_t vlan, uint32_t src) {
  bool routed = false;
  for (uint8_t i = 0; i < s.n_lan; i++) {
    const LanSubnet& sub = s.lan[i];
    const bool inside = (src & sub.mask) == sub.network;
    if (inside) return sub.vlan == vlan;
    routed |= sub.vlan == vlan && sub.routed;
  }
  return routed;
}

// One of the edge's own WAN link addresses: from the LAN, a packet for the edge, never one to route to an ISP.
inline bool is_own_wan_ip(const DataplaneSnapshot& s, uint32_t ip) {
  for (uint8_t i = 0; i < s.n_links; i++)
    if (s.links[i].own_ip == ip) return true;
  return false;
}

}  // namespace wansteer
