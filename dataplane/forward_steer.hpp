// Replies of a port-forwarded LAN host leave on the link the forward brought the connection in on: the worker's
// forward mapping of the packet's source endpoint says which link that was (the most recently used, when several
// links forward to the same host and port). Checked once per new flow, only when the policy has forwards.
#pragma once
#include <cstdint>

#include "dataplane/lan_subnets.hpp"
#include "dataplane/nat_translate.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// The link whose port forward mapping holds the packet's (protocol, source address, source port), or kNoLink.
inline uint8_t forward_link_of(WorkerContext& w, const DataplaneSnapshot& snap, const PacketMeta& meta,
                               uint64_t now_tsc) {
  if (!snap.forwards || !w.nat || meta.l3 != static_cast<uint8_t>(L3::ipv4)) return kNoLink;
  if ((meta.proto != kIpProtoTcp && meta.proto != kIpProtoUdp) || (meta.flags & PacketMeta::kFlagLaterFragment))
    return kNoLink;
  const NatProto p = meta.proto == kIpProtoTcp ? NatProto::tcp : NatProto::udp;
  const uint32_t src = ipv4_of(meta.src);
  uint8_t best = kNoLink;
  uint64_t seen = 0;
  for (uint8_t l = 0; l < snap.n_links && l < kMaxLinks; l++) {
    const LinkForwards& lf = snap.forwards->link[l];
    if (lf.n == 0 || lf.of_target(p, src, meta.sport) == nullptr) continue;
    const NatSession* s = w.nat->find_outbound(l, p, src, meta.sport, now_tsc, snap.nat.timeouts);
    if (s != nullptr && s->forward && (best == kNoLink || s->last_seen_tsc > seen)) {
      best = l;
      seen = s->last_seen_tsc;
    }
  }
  return best;
}

}  // namespace wansteer
