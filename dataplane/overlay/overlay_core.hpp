// One worker's state for the overlay stages (dataplane/overlay/overlay_encap.hpp, overlay_decap.hpp): its AEAD
// context, the send counters it has reserved, its replay windows of the peer's receive keypairs. Per core, no locks.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/counters.hpp"
#include "dataplane/overlay/chacha_poly.hpp"
#include "dataplane/overlay/peer_source.hpp"
#include "dataplane/overlay/replay_windows.hpp"
#include "dataplane/overlay/send_counter.hpp"

namespace wansteer {

// dp: rw (its worker only). About 4.5 KiB (the replay windows): allocate it with the worker's context. The
// constructor allocates the EVP context: make it at set-up, never per packet; valid() false means no libcrypto.
struct OverlayCore {
  wg::ChaChaPoly aead;
  wg::CounterLease lease;         // counters of the send keypair reserved for the burst being sealed
  wg::PeerReplayWindows windows;  // per receive keypair, by serial
  uint16_t ip_id = 0;             // outer IPv4 identification: per core, wraps (outer packets go with DF clear)
  PeerSourceSeen seen;            // the outer source of the last message opened (a site peer's endpoint roams)

  explicit OverlayCore(uint16_t worker_id = 0) : ip_id(static_cast<uint16_t>(worker_id << 12)) {}
  bool valid() const { return aead.valid(); }
};

// Frees a packet the overlay stages refuse and counts it under reason and as a drop on port index pi.
inline void overlay_drop(WorkerCounters& c, rte_mbuf* m, uint8_t pi, DropReason reason) {
  c.drop[static_cast<uint32_t>(reason)].inc();
  c.port[pi].drops.inc();
  rte_pktmbuf_free(m);
}

}  // namespace wansteer
