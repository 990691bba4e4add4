// Egress of LAN->WAN packets: hand-off to the link's owner core, per (class, link) meter, and the link's
// strict-priority shaper at its upstream capacity, feeding the worker's tx staging (tx_enqueue).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// The full egress path of egress_submit: hand-off, meter, shaper. Called by it when the bypass does not apply.
void egress_submit_slow(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, uint64_t now_tsc);

// A rewritten packet (meta class_id set) is ready for WAN link `link`. Owned links: metered and queued (or sent)
// now; other links: staged for the owner's hand-off ring. Never blocks; every drop is counted.
//
// Inline bypass for the common case, a link this worker owns with no shaper and a class without a rate limit:
// the meter would answer `conform` and the packet would go straight to tx staging, so do exactly that (and
// count it as conform) without the out-of-line calls. The meter must already be configured for the snapshot's
// profile (same generation): otherwise the full path runs once and configures it, so nothing observable changes.
// Checking n_workers == 1 first avoids owner_of's division in the one-worker case.
// This worker owns `link`'s egress and the link has no shaper: what egress_submit's bypass and the fast lane's
// direct routes both require.
inline bool owns_unshaped(const WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link) {
  const WorkerEgress& eg = w.egress;
  return (eg.n_workers == 1 || eg.owner_of(link) == w.worker_id) && !snap.egress.shaper[link].enabled;
}

inline bool egress_bypass(const WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t cls) {
  if (!owns_unshaped(w, snap, link)) return false;
  const ClassMeter& cm = w.egress.link[link].meter[cls];
  return cm.mode == MeterMode::unlimited && cm.generation == snap.egress.meter[cls][link].generation;
}

inline void egress_submit(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m,
                          uint64_t now_tsc) {
  const uint8_t cls = meta_of(m)->class_id;
  if (egress_bypass(w, snap, link, cls)) {
    w.counters.egress[cls][link].meter_conform.inc();
    tx_enqueue(w, static_cast<uint8_t>(link + 1), m);
    return;
  }
  egress_submit_slow(w, snap, link, m, now_tsc);
}

// Once per worker loop, after forwarding: pushes staged hand-offs, takes in what other workers handed over,
// refills every owned shaper's bucket and releases queued packets, highest priority first, while tokens allow.
void egress_service(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc);

// Frees every packet this worker still holds in shaper queues or hand-off staging (at shutdown).
void egress_drain(WorkerContext& w);

// Control thread, before launch and after stop (defined in setup/egress_rings.cpp):
// Creates the per-link hand-off rings for n_workers > 1 (none are needed for one worker) and points every
// worker's WorkerEgress at them. `rings` receives them, to free with egress_rings_free after workers stop.
bool egress_rings_create(std::vector<WorkerContext*>& workers, uint32_t n_links, int socket,
                         std::vector<rte_ring*>& rings, std::string* error);
// Frees the packets left in the rings and the rings themselves.
void egress_rings_free(std::vector<rte_ring*>& rings);

}  // namespace wansteer
