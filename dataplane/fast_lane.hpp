// The LAN fast lane: packets of already cached IPv4 flows, forwarded in two tight passes straight from the frame,
// before (and instead of) parse_burst and the general path (general_path.hpp), which gets everything else.
//
// Why. In bench/throughput the general path spent ~27 cycles per packet parsing into PacketMeta (a 64-byte
// record, every field written for every packet) and ~47 forwarding in five passes over it, while almost every
// packet of an office's traffic is an option-less IPv4 TCP/UDP packet, untagged or with one 802.1Q tag (a guest
// VLAN), of a flow that is already in the cache and stays on its link (or its host pair's). For exactly those
// packets the fast lane checks the few header fields that can make a difference, builds the flow key (with the
// frame's VLAN) from the frame, looks it up and, on a hit that the general path would forward unchanged, does what
// it would do: flow entry update (and the host pair's, for a class steered by host pair), TTL with incremental
// checksum, a SYN's MSS clamped, the VLAN tag stripped, Ethernet rewrite, class x link counters, egress. PacketMeta
// is written only when egress needs it (meter, shaper, hand-off).
//
// Equivalence. A packet the fast lane forwards leaves exactly as the general path would send it, with the same
// counters; anything it is not sure of (QinQ, 802.1ad or more than one tag, a VLAN or source the policy does not
// admit there, IP options, a later fragment, TTL <= 1, a bad checksum or length, a flow miss (which includes every
// destination the general path never caches: the edge, the LAN, multicast), an expired or older-policy entry, a
// flow that must move, a host pair without a current entry or that must move, a link without a next hop, a packet
// over the link's MTU, IPv6, ARP, ICMP) is handed to the general path untouched, which parses and forwards it from
// scratch (tests/unit/test_fast_lane.cpp runs the same traffic both ways and compares; so does a pipeline test with
// wansteer --no-fast-lane). Order: packets of one flow keep their order unless one of them is such an exception
// (IP options, say) in the same burst as an ordinary one; the exception then leaves after the ordinary packets of
// that burst. Packets of different flows may change order within a burst (the lane forwards a burst's TCP packets
// before its UDP ones: see lan_fast_lane).
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// Counts pkts[0..n) as received on the LAN port, forwards those it can and moves the others, in their original
// order, to the front of pkts. Returns how many are left for the general path. Needs w.flows.
// With several workers and a link that translates or tracks sessions, a frame whose inside port another worker
// owns (nat_outbound.hpp) goes to that worker before any work here: its fast lane, flow cache and NAT hint take
// it there. `received_here` false: frames another worker received and handed over (counted as received there).
uint16_t lan_fast_lane(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc,
                       bool received_here = true);

}  // namespace wansteer
