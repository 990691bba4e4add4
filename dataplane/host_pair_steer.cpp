// General path, LAN stage 2b: classes with stick_by host-pair. One cache entry per (src, dst) pair, keyed with
// ports and protocol zero and a marker, decides the link of all the pair's flows, so SIP and RTP share a link.
#include "dataplane/cached_flow.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/host_pair_key.hpp"
#include "dataplane/route_send.hpp"

namespace wansteer {
namespace {

enum class PairEntry : uint8_t { current, renew };

}  // namespace

void host_pair_steer_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                           uint64_t now_tsc) {
  // Most policies steer every class per flow: then there is nothing to do (and no pass over the burst).
  bool any = false;
  for (uint32_t cls = 0; cls < kMaxClasses; cls++) any |= snap.steering.cls[cls].by_host_pair;
  if (!any) return;
  FlowKey keys[kBurst];
  uint32_t hashes[kBurst];
  FlowEntry* entry[kBurst];
  PacketMeta* metas[kBurst];
  uint16_t np = 0;
  for (uint16_t i = 0; i < n; i++) {
    PacketMeta* meta = meta_of(pkts[i]);
    if (!snap.steering.cls[meta->class_id].by_host_pair) continue;
    hashes[np] = host_pair_key(meta, &keys[np]);
    metas[np++] = meta;
  }
  if (np == 0) return;
  w.flows->lookup_burst(keys, hashes, np, entry);
  const RouteTable& routes = current_routes(w, snap);
  const uint16_t generation = flow_generation(snap.policy_generation);
  for (uint16_t j = 0; j < np; j++) {
    PacketMeta* meta = metas[j];
    const ClassSteering& cs = snap.steering.cls[meta->class_id];
    FlowEntry* e = entry[j];
    const PairEntry how =
        e != nullptr && flow_entry_current(*e, generation, now_tsc, snap.flow_idle_tsc) && e->class_id == meta->class_id
            ? PairEntry::current
            : PairEntry::renew;
    if (how == PairEntry::current) {
      meta->link = steer_cached(routes, cs, meta->class_id, e, hashes[j], w.counters);
    } else {
      const bool keep =
          e != nullptr && keeps_link_across_reload(routes, *e, meta->class_id, generation, now_tsc, snap.flow_idle_tsc);
      if (e == nullptr) e = w.flows->insert(keys[j], hashes[j], w.counters);
      meta->link = keep ? e->link : cs.pick(hashes[j]);
      if (e != nullptr) {
        e->class_id = meta->class_id;
        e->link = meta->link;
        e->policy_generation = generation;
      }
    }
    if (e != nullptr) e->last_seen_tsc = now_tsc;
  }
}

}  // namespace wansteer
