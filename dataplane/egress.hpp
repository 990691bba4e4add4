// Egress of LAN->WAN packets: hand-off to the link's owner core, per (class, link) meter, and the link's
// strict-priority shaper at its upstream capacity, feeding the worker's tx staging (tx_enqueue).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <rte_mbuf.h>

#include "dataplane/meter.hpp"
#include "dataplane/shaper_bucket.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// egress_submit's out-of-line parts: the whole path on an owned link (meter, then queue or send); the class queue
// for a packet its inline part already found conforming (a current unlimited meter) on a shaped link it could not
// cut through, so those tests are not made twice; staging for another owner's hand-off ring.
void egress_local(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, uint64_t now_tsc);
void egress_queue_conforming(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m,
                             uint64_t now_tsc);
void egress_stage(WorkerContext& w, uint8_t link, rte_mbuf* m);

// A rewritten packet is ready for WAN link `link`. Of its meta, egress reads class_id, and l3 and l3_offset where a
// meter re-marks DSCP (the LAN fast lane fills only these: fill_egress_meta). Owned links: metered and queued (or sent)
// now; other links: staged for the owner's hand-off ring. Never blocks; every drop is counted. Packets that need
// none of this do not come here: their route is direct (send_on_route in route_send.hpp). The usual case is
// inline (an owned link, a current unlimited meter, no shaper or the shaper's cut-through: tx staging).
inline void egress_submit(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m,
                          uint64_t now_tsc) {
  if (!w.egress.owns(link, w.worker_id)) {
    egress_stage(w, link, m);
    return;
  }
  const uint8_t cls = meta_of(m)->class_id;
  LinkEgress& e = w.egress.link[link];
  const ShaperConfig& sc = snap.egress.shaper[link];
  if (!meter_unlimited_now(e.meter[cls], snap.egress.meter[cls][link])) {
    egress_local(w, snap, link, m, now_tsc);
    return;
  }
  if (sc.enabled && !shaper_cut_through(e, sc, snap.egress.tsc_hz, m->pkt_len, now_tsc)) {
    egress_queue_conforming(w, snap, link, m, now_tsc);
    return;
  }
  w.counters.egress[cls][link].meter_conform.inc();
  tx_enqueue(w, static_cast<uint8_t>(link + 1), m, cls);
}

// Once per worker loop, after forwarding: pushes staged hand-offs, takes in what other workers handed over,
// refills every owned shaper's bucket and releases queued packets, highest priority first, while tokens allow.
void egress_service(WorkerContext& w, const DataplaneSnapshot& snap, uint64_t now_tsc);

// Frees every packet this worker still holds in shaper queues or hand-off staging (at shutdown), counted as
// shutdown_flush drops.
void egress_drain(WorkerContext& w);

// Control thread, before launch and after stop (defined in setup/egress_rings.cpp):
// Creates the per-link hand-off rings for n_workers > 1 (none are needed for one worker) and points every
// worker's WorkerEgress at them. `rings` receives them, to free with egress_rings_free after workers stop.
bool egress_rings_create(std::vector<WorkerContext*>& workers, uint32_t n_links, int socket,
                         std::vector<rte_ring*>& rings, std::string* error);
// Frees the packets left in the rings and the rings themselves.
void egress_rings_free(std::vector<rte_ring*>& rings);

}  // namespace wansteer
