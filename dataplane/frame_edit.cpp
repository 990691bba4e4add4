// In-place frame edits shared by the forwarding stages (see frame_edit.hpp).
#include "dataplane/frame_edit.hpp"

#include <cstring>
#include <utility>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dataplane/byte_order.hpp"

namespace wansteer {

void strip_vlans(rte_mbuf* m, PacketMeta* meta) {
  if (meta->vlan_count == 0) return;
  uint16_t shift = static_cast<uint16_t>(4 * meta->vlan_count);
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  std::memmove(p + shift, p, 2 * RTE_ETHER_ADDR_LEN);  // MACs move up; the inner ethertype stays in place
  rte_pktmbuf_adj(m, shift);
  meta->l3_offset = static_cast<uint16_t>(meta->l3_offset - shift);
  if (meta->l4_offset != 0) meta->l4_offset = static_cast<uint16_t>(meta->l4_offset - shift);
  meta->vlan_count = 0;
}

bool push_vlan(rte_mbuf* m, PacketMeta* meta, uint16_t vlan) {
  uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
  if (p == nullptr) return false;
  std::memmove(p, p + 4, 2 * RTE_ETHER_ADDR_LEN);
  uint16_t tpid = host_to_be16(RTE_ETHER_TYPE_VLAN);
  uint16_t tci = host_to_be16(vlan & 0xfff);
  std::memcpy(p + 12, &tpid, 2);
  std::memcpy(p + 14, &tci, 2);
  meta->l3_offset = static_cast<uint16_t>(meta->l3_offset + 4);
  if (meta->l4_offset != 0) meta->l4_offset = static_cast<uint16_t>(meta->l4_offset + 4);
  meta->vlan_count = 1;
  return true;
}

bool icmp_echo_reply_in_place(rte_mbuf* m, PacketMeta* meta, const rte_ether_addr& our_mac) {
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4) || meta->proto != IPPROTO_ICMP ||
      meta->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || (meta->flags & PacketMeta::kFlagFragment) || meta->l4_offset == 0)
    return false;
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, meta->l3_offset);
  auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, meta->l4_offset);
  uint16_t icmp_len = static_cast<uint16_t>(meta->l3_len - (meta->l4_offset - meta->l3_offset));
  if (icmp_len < sizeof(rte_icmp_hdr)) return false;
  const rte_be32_t ip_src = ip->src_addr;  // packed fields: no std::swap
  ip->src_addr = ip->dst_addr;
  ip->dst_addr = ip_src;
  ip->time_to_live = 64;
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  // The checksum is updated for the one word that changes (type 8 -> 0), RFC 1624 eqn. 3: O(1) for any size and
  // segment layout, and nothing past the ICMP header (in the first segment, parse checked) is read.
  const uint16_t old_word = static_cast<uint16_t>((icmp->icmp_type << 8) | icmp->icmp_code);
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
  const uint16_t new_word = static_cast<uint16_t>((icmp->icmp_type << 8) | icmp->icmp_code);
  icmp->icmp_cksum = host_to_be16(checksum_update16(be_to_host16(icmp->icmp_cksum), old_word, new_word));
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
  rte_ether_addr_copy(&our_mac, &eth->src_addr);
  std::swap(meta->src, meta->dst);
  return true;
}

}  // namespace wansteer
