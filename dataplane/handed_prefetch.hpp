// Packets another worker handed over (to a shaped link's owner, egress.cpp; to the owner of a NAT mapping or
// firewall session, nat_handoff.cpp) were last written by that worker's core: their lines sit in its cache, and the
// first read of each is a transfer between cores. Read one packet after the other, the transfers queue up: in a
// profile of bench/throughput --workers 2 --lan-hash, 73 % of the owner's NAT lookup samples sat on the first read
// of the frame and 60 % of lan_send_handed's on the first read of the mbuf. Started for a whole burst before the
// first packet is read, they overlap.
#pragma once
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/packet_meta.hpp"

namespace wansteer {

// The mbuf's first two lines and its PacketMeta for pkts[0..n); with `frames`, then each frame's first line (its
// address is in the mbuf's first line, which the loop before has started loading).
inline void prefetch_handed(rte_mbuf* const* pkts, unsigned n, bool frames) {
  for (unsigned i = 0; i < n; i++) {
    rte_prefetch0(pkts[i]);
    rte_prefetch0(reinterpret_cast<const char*>(pkts[i]) + RTE_CACHE_LINE_SIZE);  // next, pool: read when freed
    rte_prefetch0(meta_of(pkts[i]));
  }
  if (!frames) return;
  for (unsigned i = 0; i < n; i++) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], const char*));
}

}  // namespace wansteer
