// parse_burst: validates each frame once and fills its PacketMeta; malformed frames are counted and dropped.
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include <nmmintrin.h>

#include "dataplane/counters.hpp"

namespace wansteer {

// Parses pkts[0..n) received on ingress port index `port` (0 = LAN, i+1 = WAN link i).
// Frames that parse are compacted to the front of pkts (order kept) and their count returned;
// malformed ones are freed and counted in counters.drop[reason] and counters.port[port].drops.
// No allocation, no exceptions, no logging.
uint16_t parse_burst(rte_mbuf** pkts, uint16_t n, uint8_t port, WorkerCounters& counters);

// Parses one frame into its PacketMeta. Returns true when it parsed; else sets *reason.
// Exposed for unit tests and the fuzz target; parse_burst is the fast-path entry.
bool parse_packet(rte_mbuf* m, uint8_t port, DropReason* reason);

// PacketMeta::flow_hash of an IPv4 5-tuple: CRC32C of the source and destination addresses as they sit in the
// header (one 8-byte load), then of ipv4_flow_tail: ports (host order), protocol and the IPv4 marker, laid out
// like the last 8 bytes of an untagged IPv4 FlowKey (the fast lane builds that word for its key anyway). The
// general parser and the LAN fast lane both use it, so a flow one inserts into the flow cache the other finds.
// A big-endian 16-bit header field at p, whatever its alignment.
inline uint16_t wire_be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline constexpr uint32_t kFlowHashSeed = 0x5eed1234;
inline uint64_t ipv4_flow_tail(uint32_t sport_dport, uint8_t proto) {  // sport | dport << 16
  return uint64_t{sport_dport} | uint64_t{proto} << 48 | uint64_t{4} << 56;
}
inline uint32_t ipv4_flow_hash(uint64_t src_dst_as_in_header, uint64_t tail) {
  return static_cast<uint32_t>(_mm_crc32_u64(_mm_crc32_u64(kFlowHashSeed, src_dst_as_in_header), tail));
}

}  // namespace wansteer
