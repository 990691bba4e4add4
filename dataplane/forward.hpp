// Forwarding stages after parse: LAN->WAN (flow cache, classify, steer, rewrite) and WAN->LAN (route, rewrite).
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// Packets that parsed, received on the LAN port. Each one is sent, handed to control or dropped+counted.
void forward_lan_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                       uint64_t now_tsc);

// Packets that parsed, received on WAN link `link`.
void forward_wan_burst(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts,
                       uint16_t n);

// Small per-packet helpers, pure functions over the frame (unit-tested).
// Decrements IPv4 TTL with an incremental checksum update (RFC 1624). Returns false when TTL <= 1.
bool ipv4_decrement_ttl(rte_mbuf* m, uint16_t l3_offset);
// Decrements the IPv6 hop limit. Returns false when it is <= 1.
bool ipv6_decrement_hop_limit(rte_mbuf* m, uint16_t l3_offset);
// Removes all VLAN tags (meta->vlan_count of them) in place; updates meta offsets.
void strip_vlans(rte_mbuf* m, PacketMeta* meta);
// Adds one 802.1Q tag. Returns false when there is no headroom.
bool push_vlan(rte_mbuf* m, PacketMeta* meta, uint16_t vlan);
// Turns an ICMP echo request addressed to us into the reply, in place. Returns false if it isn't one.
bool icmp_echo_reply_in_place(rte_mbuf* m, PacketMeta* meta, const rte_ether_addr& our_mac);

}  // namespace wansteer
