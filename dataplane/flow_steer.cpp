// General path, LAN stage 2: flow cache lookup for the burst; hits keep their class and, while the plan lets them,
// their link; misses (new, expired or older-policy flows) are classified together in one ACL call and steered.
#include "dataplane/cached_flow.hpp"
#include "dataplane/classify.hpp"
#include "dataplane/forward_steer.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/route_send.hpp"

namespace wansteer {
namespace {

enum class Lookup : uint8_t { hit, expired, miss };

inline Lookup lookup_outcome(const FlowEntry* e, uint16_t generation, uint64_t now_tsc, uint64_t idle_tsc) {
  if (e == nullptr) return Lookup::miss;
  if (flow_entry_current(*e, generation, now_tsc, idle_tsc)) return Lookup::hit;
  return e->policy_generation == generation ? Lookup::expired : Lookup::miss;  // older policy: a plain miss
}

// Classifies the misses in one call, picks their links and (re)fills their cache entries.
void classify_misses(WorkerContext& w, const DataplaneSnapshot& snap, PacketMeta** miss_meta, const uint16_t* miss_idx,
                     uint16_t nm, uint64_t now_tsc, FlowEntry** entry) {
  WorkerCounters& c = w.counters;
  const uint16_t generation = flow_generation(snap.policy_generation);
  const RouteTable& routes = current_routes(w, snap);
  snap.classifier->classify_burst(miss_meta, nm);
  for (uint16_t j = 0; j < nm; j++) {
    const uint16_t i = miss_idx[j];
    PacketMeta* meta = miss_meta[j];
    FlowEntry* e = entry[i];
    const ClassSteering& cs = snap.steering.cls[meta->class_id];
    meta->link = cs.pick(meta->flow_hash);
    if (e != nullptr && keeps_link_across_reload(routes, *e, meta->class_id, generation, now_tsc, snap.flow_idle_tsc))
      meta->link = e->link;
    // A forwarded host's replies go back out the link the connection came in on, while the class may use it.
    if (const uint8_t fl = forward_link_of(w, snap, *meta, now_tsc);
        fl != kNoLink && (cs.usable(fl) || cs.may_stay(fl)))
      meta->link = fl;
    if (e == nullptr) {
      FlowKey key;
      flow_key_from_meta(*meta, &key);
      e = w.flows->insert(key, meta->flow_hash, c);
      // A later packet of the same flow in this burst missed too: it finds this entry next burst.
    } else {
      e->packets = 0;  // an expired or older-policy entry starts over as a new flow
      e->bytes = 0;
    }
    entry[i] = e;
    if (e != nullptr) {
      e->class_id = meta->class_id;
      e->link = meta->link;
      e->policy_generation = generation;
      e->last_seen_tsc = now_tsc;
    }
  }
}

}  // namespace

void flow_steer_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc,
                      FlowEntry** entry) {
  WorkerCounters& c = w.counters;
  const RouteTable& routes = current_routes(w, snap);
  // Looked up straight from the metadata; a FlowKey is built only for the (rare) misses that are inserted.
  const PacketMeta* metas[kBurst];
  for (uint16_t i = 0; i < n; i++) metas[i] = meta_of(pkts[i]);
  w.flows->lookup_burst(metas, n, entry);

  const uint16_t generation = flow_generation(snap.policy_generation);
  PacketMeta* miss_meta[kBurst];
  uint16_t miss_idx[kBurst];
  uint16_t nm = 0;
  for (uint16_t i = 0; i < n; i++) {
    FlowEntry* e = entry[i];
    PacketMeta* meta = meta_of(pkts[i]);
    switch (lookup_outcome(e, generation, now_tsc, snap.flow_idle_tsc)) {
      case Lookup::hit:
        meta->class_id = e->class_id;
        meta->link = steer_cached(routes, snap.steering.cls[e->class_id], e->class_id, e, meta->flow_hash, c);
        e->last_seen_tsc = now_tsc;
        continue;
      case Lookup::expired:
        c.flow_expired.inc();
        break;
      case Lookup::miss:
        break;
    }
    c.flow_misses.inc();
    miss_meta[nm] = meta;
    miss_idx[nm++] = i;
  }
  // Every packet either hit or missed: one add for the hits instead of a load+store per packet.
  c.flow_hits.add(n - nm);
  if (nm != 0) classify_misses(w, snap, miss_meta, miss_idx, nm, now_tsc, entry);
}

}  // namespace wansteer
