// The WAN fast lane: replies to the worker's NAT sessions (downloads, the bulk of an office's bytes) forwarded to
// their LAN host straight from the frame, before (and instead of) parse_burst and wan_route_burst.
//
// Why. The general path parses every WAN frame into PacketMeta, classifies it (probe reply, DHCP, own address,
// forward, session), translates it back and looks the LAN host's neighbour up in a hash table. For an ordinary
// reply (untagged IPv4 TCP/UDP without options, not a fragment, to the link's address and a port this worker owns)
// the lane checks the few header fields that can make a difference, finds the session through its external port
// (NatSessionTable::find_inbound: an index slot and the session's line, both prefetched a pass ahead: the one
// lookup), translates it back and moves its TCP state (nat_lane_inbound_rewrite, FIN and RST included), decrements the
// TTL, clamps a SYN-ACK's MSS and sends it to the host's MAC. That MAC is cached in the session
// (NatSession::lan_mac) with the snapshot generation it was read from, so it is looked up again only after control
// published a new snapshot (neighbour, link or policy changes), never per packet.
//
// Equivalence. What the lane forwards leaves as the general path would send it, with the same counters (port
// counters; WAN->LAN traffic has no class x link counts). Anything else is handed to the general path untouched:
// tagged frames, IP options, fragments, TTL <= 1, bad checksums or lengths, ICMP, other destinations, probe and
// DHCP replies, forwarded ports, ports another worker owns (hand-off), no or an expired session, a LAN host not
// resolved or on a tagged subnet, a source of the LAN's own subnets (spoofed), routed links (their firewall).
// tests/unit/test_wan_fast_lane.cpp runs the same traffic both ways and compares frames and counters. Order: as
// in the LAN lane, an exception leaves after the ordinary packets of its burst.
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// pkts[0..n) received on WAN link `link`: counts them as received on its port (index link + 1), forwards those it
// can and moves the others, in their original order, to the front of pkts. Returns how many are left for the
// general path.
uint16_t wan_fast_lane(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n,
                       uint64_t now_tsc);

}  // namespace wansteer
