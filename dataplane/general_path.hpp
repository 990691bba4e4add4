// The general path's stages, in the order the worker runs them over a parsed burst (parse.hpp comes first). One
// file each: LAN admission (lan_admit.cpp), flow cache + classify + steer (flow_steer.cpp), host-pair steering
// (host_pair_steer.cpp), TTL + rewrite + send (lan_send.cpp); and from a WAN link, the route to the LAN
// (wan_route.cpp). Every packet a stage does not pass on is sent, handed to control or dropped and counted.
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/flow_cache.hpp"
#include "dataplane/route_table.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// LAN: drops what the policy does not admit (another host's MAC, unhandled multicast, unconfigured VLANs, QinQ,
// sources not of the subnet they arrived on), takes out what is not transit traffic (ARP, within the worker's ARP
// rate; packets for the edge, LAN-local and non-routable ones) and moves the transit packets, in order, to the
// front of pkts. Returns how many. Starts loading their flow entries.
uint16_t lan_admit_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                         uint64_t now_tsc);

// LAN: flow cache lookup, one classifier call for the misses, steering. Sets every packet's meta class_id and
// link, and entry[i] to its flow's cache entry (nullptr when the cache had no room).
void flow_steer_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc,
                      FlowEntry** entry);

// LAN: for classes steered per host pair, the pair's own cache entry overrides the link of all its flows.
void host_pair_steer_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                           uint64_t now_tsc);

// LAN: per packet, its route (link, next hop), TTL, VLAN strip, Ethernet rewrite, flow entry totals, then sends
// it on the route (tx staging or egress).
void lan_send_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                    FlowEntry* const* entry, uint64_t now_tsc);

// LAN packets of classes whose path on their link goes through the overlay (ClassSteering::overlay_mask), kept by
// lan_send_burst for one sealing burst per link (lan_overlay_send.cpp).
struct OverlayBatch {
  rte_mbuf* pkts[kBurst];
  uint16_t n = 0;
};
// LAN, overlay path: MTU, TTL, MSS, the frame stripped to its IPv4 packet, kept in batch (or answered, or dropped).
void lan_overlay_stage(WorkerContext& w, const DataplaneSnapshot& snap, const RouteTable& routes, rte_mbuf* m,
                       FlowEntry* e, uint64_t now_tsc, OverlayBatch& batch);
// Seals the batch per link and sends each packet on its class's route of that link; empties the batch.
void lan_overlay_flush(WorkerContext& w, const DataplaneSnapshot& snap, const RouteTable& routes, OverlayBatch& batch,
                       uint64_t now_tsc);

// WAN link `link`: datagrams to the overlay's port (wan_route_burst picks them before NAT): transport messages
// opened and their inner packets routed to the LAN, handshake messages handed to control (wan_overlay_receive.cpp).
void wan_overlay_receive(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n);

// LAN: frames another worker's fast lane handed over on receipt because this worker owns their inside port
// (PacketMeta::kFlagLanFrame): the fast lane, then the general path, as for frames received here.
void lan_receive_handed(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc);

// LAN: a packet another worker's lan_send_burst or LAN fast lane handed over because this worker owns the NAT
// mappings (NAT links) or firewall sessions (routed links) of its source endpoint (several workers): checked,
// TTL decremented and MSS clamped there; here the mapping or session, then the rest of its send.
void lan_send_handed(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf* m, uint64_t now_tsc);

// WAN link `link`: probe replies to control (with their receive TSC, now_tsc), the link's own address, then the
// LAN route: neighbour, TTL, VLAN tag, rewrite, tx on the LAN port.
void wan_route_burst(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n,
                     uint64_t now_tsc);

}  // namespace wansteer
