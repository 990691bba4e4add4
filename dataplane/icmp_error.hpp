// ICMP errors the edge originates (RFC 1812 4.3.2.7, 5.3.1 and 5.2.7.1): time exceeded when a forwarded packet's TTL
// runs out, fragmentation needed when a DF packet is larger than its link's MTU (RFC 1191), built in a fresh mbuf
// from the packet's pool, rate-limited per worker (one budget for both).
#pragma once
#include <cstdint>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/packet_meta.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// An ICMP error datagram is at most 576 bytes (RFC 1812 4.3.2.3): 28 of headers, the rest quotes the packet.
inline constexpr uint16_t kIcmpErrorMaxIpLen = 576;
inline constexpr uint8_t kIcmpTimeExceeded = 11;  // code 0: TTL exceeded in transit (DPDK 22.11 has no name for it)
inline constexpr uint8_t kIcmpUnreachable = 3, kIcmpFragNeeded = 4;  // type 3 code 4: fragmentation needed and DF set

// True when RFC 1812 4.3.2.7 lets an ICMP error answer this parsed IPv4 packet: not an ICMP error itself, not a
// later fragment, not sent to a link-layer or IP broadcast/multicast, and from a unique unicast source.
// `dst_broadcast`: the directed broadcast address of the destination's subnet, if the caller knows one (else 0).
bool icmp_error_allowed(const rte_mbuf* m, const PacketMeta* meta, uint32_t dst_broadcast);

// A new frame (from m's pool) answering m with ICMP type/code from `src_ip` (host order): m's L2 header (VLAN tags
// kept) with the MACs swapped and `our_mac` as source, IPv4 + ICMP headers, then as much of m's IP packet as fits in
// 576 bytes, read across segments. `next_hop_mtu`: the low 16 bits of the word after the checksum (RFC 1191; 0 for
// other errors). m is not changed. nullptr when the pool is empty.
rte_mbuf* icmp_error_build(const rte_mbuf* m, const PacketMeta* meta, uint8_t type, uint8_t code, uint32_t src_ip,
                           const rte_ether_addr& our_mac, uint16_t next_hop_mtu = 0);

// m's TTL ran out on its way through the edge: counts and frees it (drop reason ttl_expired) and, where allowed and
// the worker's budget has a token, sends a time exceeded from `src_ip` back out port index `pi`, where m came in.
void ttl_expired_reply(WorkerContext& w, rte_mbuf* m, const PacketMeta* meta, uint8_t pi, uint32_t src_ip,
                       uint32_t dst_broadcast, const rte_ether_addr& our_mac, uint64_t now_tsc);

// m (IPv4, DF set, not yet changed by forwarding) is larger than `mtu`, its link's: counts and frees it (drop reason
// too_big_df) and, where allowed and the budget has a token, sends fragmentation needed with next-hop MTU `mtu`
// from `src_ip` back out port index `pi`, quoting m's header as its sender wrote it.
void frag_needed_reply(WorkerContext& w, rte_mbuf* m, const PacketMeta* meta, uint8_t pi, uint32_t src_ip, uint16_t mtu,
                       const rte_ether_addr& our_mac, uint64_t now_tsc);

}  // namespace wansteer
