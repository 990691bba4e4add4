// The flow-cache key of a host pair (classes with stick_by host-pair): one entry per (source, destination) decides
// the link of all the pair's flows. Built by the general path from a packet's metadata (host_pair_steer.cpp) and by
// the LAN fast lane from an IPv4 header's addresses (fast_lane.cpp): the same key and hash either way.
#pragma once
#include <cstdint>
#include <cstring>

#include <rte_hash_crc.h>

#include "dataplane/flow_cache.hpp"
#include "dataplane/packet_meta.hpp"

namespace wansteer {

inline constexpr uint32_t kHostPairSeed = 0x9e3779b9u;

// The pair's key (ports, protocol and VLAN zero, l3 marked with kHostPair: no 5-tuple key has it) and its hash.
inline uint32_t host_pair_key(const PacketMeta* meta, FlowKey* k) {
  std::memcpy(k->src, meta->src.data(), 16);
  std::memcpy(k->dst, meta->dst.data(), 16);
  k->sport = k->dport = k->vlan = 0;
  k->proto = 0;
  k->l3 = meta->l3 | FlowKey::kHostPair;
  return rte_hash_crc(k, sizeof *k, kHostPairSeed);
}

// An IPv4 pair's key as a FlowKey4 has it (FlowCache::find): `addrs`, then the last word with only l3 set.
inline constexpr uint64_t kIpv4HostPairTail = uint64_t{static_cast<uint8_t>(L3::ipv4) | FlowKey::kHostPair} << 56;

// The hash host_pair_key gives the IPv4 pair whose addresses are `addrs` (source then destination, as they sit in
// the header), computed over the same FlowKey.
inline uint32_t ipv4_host_pair_hash(uint64_t addrs) {
  FlowKey k{};
  std::memcpy(k.src, &addrs, 4);
  std::memcpy(k.dst, reinterpret_cast<const uint8_t*>(&addrs) + 4, 4);
  k.l3 = static_cast<uint8_t>(L3::ipv4) | FlowKey::kHostPair;
  return rte_hash_crc(&k, sizeof k, kHostPairSeed);
}

}  // namespace wansteer
