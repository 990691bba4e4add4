// The contract of the overlay's path probes (issue 13) between control and the workers: control sends ICMP echo
// requests through the tunnel to the hub's inner address, one identifier per link, from the edge's LAN address; a
// worker that opens their reply hands it to control instead of routing it (dataplane/wan_overlay_receive.cpp).
#pragma once
#include <netinet/in.h>

#include <cstdint>

#include <rte_icmp.h>
#include <rte_mbuf.h>

#include "dataplane/limits.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/probe_ids.hpp"

namespace wansteer {

// Past the direct probes' identifiers, so neither is taken for the other.
inline constexpr uint16_t kOverlayProbeIcmpIdBase = 0x5780;
static_assert(kOverlayProbeIcmpIdBase >= kProbeIcmpIdBase + kProbeIdCount);

// The identifier of the probes sent over `link` (the request's link: the reply may come back over another one).
constexpr uint16_t overlay_probe_icmp_id(uint32_t link) {
  return static_cast<uint16_t>(kOverlayProbeIcmpIdBase + link);
}
// The link an identifier names, or -1 when it is not one of ours.
constexpr int overlay_probe_link_of_id(uint16_t id) {
  return id >= kOverlayProbeIcmpIdBase && id < kOverlayProbeIcmpIdBase + kMaxLinks ? id - kOverlayProbeIcmpIdBase : -1;
}

// The worker's test on an opened inner packet addressed to the edge's own LAN address: an ICMP echo reply with one of
// the path probes' identifiers (unfragmented; its ICMP header in the first segment).
inline bool is_overlay_probe_reply(const rte_mbuf* m, const PacketMeta* meta) {
  if (meta->proto != IPPROTO_ICMP || meta->icmp_type != RTE_IP_ICMP_ECHO_REPLY ||
      (meta->flags & PacketMeta::kFlagFragment) || meta->l4_offset + 8u > m->data_len)
    return false;
  const uint8_t* id = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta->l4_offset + 4);
  return overlay_probe_link_of_id(static_cast<uint16_t>((id[0] << 8) | id[1])) >= 0;
}

}  // namespace wansteer
