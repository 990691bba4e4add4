// The last steps of every packet the edge sends to a LAN host (from a WAN link, or hairpinned from the LAN): the
// host's neighbour entry, the subnet's VLAN tag, the Ethernet addresses, tx on the LAN port.
#pragma once
#include <rte_ether.h>
#include <rte_hash.h>

#include "dataplane/frame_edit.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// The neighbour entry of LAN address `dst` (host order), or nullptr when control has not resolved it yet.
inline const NeighborTable::Entry* lan_neighbor_of(const DataplaneSnapshot& snap, uint32_t dst) {
  const NeighborTable* nt = snap.neighbors.get();
  void* data = nullptr;
  if (nt == nullptr || nt->by_ip == nullptr || rte_hash_lookup_data(nt->by_ip, &dst, &data) < 0) return nullptr;
  return &nt->entries[reinterpret_cast<uintptr_t>(data)];
}

// The subnet's VLAN tag (the frame's own tags go), the host's MAC from the edge's, tx on the LAN port; a frame
// without room for the tag is dropped as tx_full, counted against port `pi`.
inline void lan_deliver(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t pi, rte_mbuf* m, PacketMeta* meta,
                        const NeighborTable::Entry& ne) {
  if (!address_to_lan_host(m, meta, ne.mac, snap.lan_mac, snap.lan[ne.subnet].vlan)) {
    drop_packet(w, m, pi, DropReason::tx_full);
    return;
  }
  tx_enqueue(w, 0, m);
}

}  // namespace wansteer
