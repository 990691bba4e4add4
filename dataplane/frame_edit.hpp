// In-place edits of a parsed frame that forwarding stages share: VLAN tags off and on, the Ethernet header to a LAN
// host, an ICMP echo turned into its reply. Pure functions over the mbuf and its PacketMeta (unit-tested).
#pragma once
#include <cstdint>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/packet_meta.hpp"

namespace wansteer {

// RFC 1624 eqn. 3: a one's-complement checksum `hc` (host order) after one 16-bit word of the data it covers
// changed from old_word to new_word (host order). Inline: NAT runs it six times per translated packet.
inline uint16_t checksum_update16(uint16_t hc, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = static_cast<uint16_t>(~hc) + static_cast<uint32_t>(static_cast<uint16_t>(~old_word)) + new_word;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
// Removes all VLAN tags (meta->vlan_count of them) in place; updates meta offsets.
void strip_vlans(rte_mbuf* m, PacketMeta* meta);
// Adds one 802.1Q tag. Returns false when there is no headroom.
bool push_vlan(rte_mbuf* m, PacketMeta* meta, uint16_t vlan);
// A frame for a LAN host: its own tags go, the host's subnet's tag `vlan` (0: none) comes on, Ethernet from the
// edge's MAC to the host's. False when there is no headroom for the tag (the frame is left untagged).
inline bool address_to_lan_host(rte_mbuf* m, PacketMeta* meta, const rte_ether_addr& host, const rte_ether_addr& edge,
                                uint16_t vlan) {
  strip_vlans(m, meta);
  if (vlan != 0 && !push_vlan(m, meta, vlan)) return false;
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  rte_ether_addr_copy(&host, &eth->dst_addr);
  rte_ether_addr_copy(&edge, &eth->src_addr);
  return true;
}
// Turns an ICMP echo request addressed to us into the reply, in place, whatever its size and segments (the ICMP
// checksum is updated incrementally). Returns false if it isn't one.
bool icmp_echo_reply_in_place(rte_mbuf* m, PacketMeta* meta, const rte_ether_addr& our_mac);

}  // namespace wansteer
