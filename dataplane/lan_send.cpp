// General path, LAN stage 3: the packet's route on its link (the worker's RouteTable, as the fast lane uses it),
// TTL, VLAN strip, Ethernet rewrite to the link's next hop, flow totals, then out on the route.
#include <cstring>

#include "dataplane/frame_edit.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/hop_limit.hpp"
#include "dataplane/route_send.hpp"

namespace wansteer {
namespace {

enum class Send : uint8_t { sent, no_usable_link, no_neighbor, ttl_expired };

inline bool decrement_hops(rte_mbuf* m, const PacketMeta* meta) {
  return meta->l3 == static_cast<uint8_t>(L3::ipv4) ? ipv4_decrement_ttl(m, meta->l3_offset)
                                                    : ipv6_decrement_hop_limit(m, meta->l3_offset);
}

// Checks the route and decrements the TTL; on `sent` the packet is ready for its rewrite.
inline Send send_check(const DataplaneSnapshot& snap, const RouteTable& routes, rte_mbuf* m, const PacketMeta* meta) {
  if (meta->link >= snap.n_links) return Send::no_usable_link;  // kNoLink included
  if (routes.route[meta->class_id][meta->link].how == LinkRoute::kNoNeighbor) return Send::no_neighbor;
  if (!decrement_hops(m, meta)) return Send::ttl_expired;
  return Send::sent;
}

}  // namespace

void lan_send_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                    FlowEntry* const* entry, uint64_t now_tsc) {
  const RouteTable& routes = current_routes(w, snap);
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    PacketMeta* meta = meta_of(m);
    switch (send_check(snap, routes, m, meta)) {
      case Send::sent:
        break;
      case Send::no_usable_link:
        w.counters.class_no_link[meta->class_id].inc();
        drop_packet(w, m, 0, DropReason::no_usable_link);
        continue;
      case Send::no_neighbor:
        drop_packet(w, m, 0, DropReason::no_neighbor);
        continue;
      case Send::ttl_expired:
        drop_packet(w, m, 0, DropReason::ttl_expired);
        continue;
    }
    const uint8_t link = meta->link;
    const LinkRoute r = routes.route[meta->class_id][link];
    strip_vlans(m, meta);
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), r.eth, sizeof r.eth);
    if (FlowEntry* e = entry[i]) {  // the worker's own entry: plain adds
      e->packets++;
      e->bytes += m->pkt_len;
    }
    send_on_route(w, snap, r, link, m, now_tsc);
  }
}

}  // namespace wansteer
