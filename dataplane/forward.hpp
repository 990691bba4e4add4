// Forwarding stages after parse: LAN->WAN (flow cache, classify, steer, rewrite) and WAN->LAN (route, rewrite).
#pragma once
#include <cstdint>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// Packets that parsed, received on the LAN port. Each one is sent, handed to control or dropped+counted.
void forward_lan_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc);

// Packets that parsed, received on WAN link `link`.
// Probe replies addressed to the link's own address go to control with their receive TSC (now_tsc).
void forward_wan_burst(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n,
                       uint64_t now_tsc);

// Small per-packet helpers, pure functions over the frame (unit-tested).
// Decrements IPv4 TTL with an incremental checksum update (RFC 1624). Returns false when TTL <= 1.
// The TTL/protocol word m drops by 0x0100, so ~m + m' = 0xFEFF and HC' = ~(~HC + 0xFEFF).
inline bool ipv4_decrement_ttl(rte_mbuf* m, uint16_t l3_offset) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, l3_offset);
  const uint8_t ttl = ip->time_to_live;
  if (ttl <= 1) return false;
  uint32_t sum = static_cast<uint16_t>(~rte_be_to_cpu_16(ip->hdr_checksum)) + 0xFEFFu;
  sum = (sum & 0xffff) + (sum >> 16);
  ip->hdr_checksum = rte_cpu_to_be_16(static_cast<uint16_t>(~sum));
  ip->time_to_live = static_cast<uint8_t>(ttl - 1);
  return true;
}
// Decrements the IPv6 hop limit. Returns false when it is <= 1.
inline bool ipv6_decrement_hop_limit(rte_mbuf* m, uint16_t l3_offset) {
  auto* ip6 = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, l3_offset);
  if (ip6->hop_limits <= 1) return false;
  ip6->hop_limits--;
  return true;
}
// Removes all VLAN tags (meta->vlan_count of them) in place; updates meta offsets.
void strip_vlans(rte_mbuf* m, PacketMeta* meta);
// Adds one 802.1Q tag. Returns false when there is no headroom.
bool push_vlan(rte_mbuf* m, PacketMeta* meta, uint16_t vlan);
// Turns an ICMP echo request addressed to us into the reply, in place. Returns false if it isn't one.
bool icmp_echo_reply_in_place(rte_mbuf* m, PacketMeta* meta, const rte_ether_addr& our_mac);

}  // namespace wansteer
