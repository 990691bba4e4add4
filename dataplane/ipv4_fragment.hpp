// IPv4 fragmentation of LAN packets over their link's MTU with DF clear (links with `fragment: true`), by DPDK's
// librte_ip_frag: each fragment's header in a new direct mbuf, its payload a reference (indirect mbuf) into the
// original's data, so no payload is copied. General path only; at most kMaxFragments fragments per packet.
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

namespace wansteer {

struct WorkerContext;

// 9000-byte jumbo frames over the smallest MTU (576) make 17; more is refused (fragment_failed).
inline constexpr uint16_t kMaxFragments = 32;

// Splits the rewritten frame `m` (Ethernet header, no VLAN tag, then IPv4) into fragments of at most `mtu` bytes
// of IP each, every one with m's Ethernet header, a correct header checksum and m's PacketMeta (l3_len its own), in
// out[]. `m` is consumed either way. Returns how many; 0 when it failed (counted as fragment_failed on the LAN port).
uint16_t ipv4_fragment_frame(WorkerContext& w, rte_mbuf* m, uint16_t mtu, rte_mbuf** out);

}  // namespace wansteer
