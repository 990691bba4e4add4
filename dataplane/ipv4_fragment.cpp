// IPv4 fragmentation (see ipv4_fragment.hpp). rte_ipv4_fragment_packet wants the packet from its IP header and
// leaves each fragment's header checksum 0 (for offload); the Ethernet header goes back on and the checksum is
// computed here.
#include "dataplane/ipv4_fragment.hpp"

#include <cstring>

#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {
namespace {

constexpr uint16_t kEthLen = 14;

void count_failure(WorkerContext& w) {
  w.counters.drop[static_cast<uint32_t>(DropReason::fragment_failed)].inc();
  w.counters.port[0].drops.inc();
}

}  // namespace

uint16_t ipv4_fragment_frame(WorkerContext& w, rte_mbuf* m, uint16_t mtu, rte_mbuf** out) {
  const PacketMeta meta = *meta_of(m);
  uint8_t eth[kEthLen];
  std::memcpy(eth, rte_pktmbuf_mtod(m, const uint8_t*), kEthLen);
  if (w.frag_direct == nullptr || w.frag_indirect == nullptr || meta.l3_offset != kEthLen) {
    rte_pktmbuf_free(m);
    count_failure(w);
    return 0;
  }
  rte_pktmbuf_adj(m, kEthLen);
  const int32_t n = rte_ipv4_fragment_packet(m, out, kMaxFragments, mtu, w.frag_direct, w.frag_indirect);
  rte_pktmbuf_free(m);  // each fragment holds its own reference to the data
  if (n <= 0) {
    count_failure(w);
    return 0;
  }
  for (int32_t i = 0; i < n; i++) {
    auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(out[i], kEthLen));
    if (p == nullptr) {  // a direct mbuf always has headroom; checked all the same
      for (int32_t j = 0; j < n; j++) rte_pktmbuf_free(out[j]);
      count_failure(w);
      return 0;
    }
    std::memcpy(p, eth, kEthLen);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + kEthLen);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    PacketMeta* fm = meta_of(out[i]);
    *fm = meta;
    fm->l3_len = be_to_host16(ip->total_length);
    fm->flags |= PacketMeta::kFlagFragment;
    if (i != 0) fm->flags |= PacketMeta::kFlagLaterFragment;
  }
  w.counters.ipv4_fragmented.inc();
  w.counters.ipv4_fragments.add(static_cast<uint64_t>(n));
  return static_cast<uint16_t>(n);
}

}  // namespace wansteer
