// parse_burst: validates each frame once and fills its PacketMeta; malformed frames are counted and dropped.
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

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

}  // namespace wansteer
