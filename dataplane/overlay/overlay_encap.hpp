// The overlay's sending stage (issue 13): a burst of inner IPv4 packets becomes WireGuard transport messages to the
// hub in UDP/IPv4/Ethernet for one link, sealed in place in each packet's mbuf. Worker threads, per core, no locks.
//
// What the next step (the worker's forwarding decision) does around it:
// - Choose the overlay per class and link (PathSpec), strip the LAN frame's Ethernet header and VLAN tags
//   (rte_pktmbuf_adj by PacketMeta::l3_offset) and clamp TCP MSS of overlay flows to
//   overlay_path_mtu(inner_mtu, link mtu) - 40 before calling this; the sealed packets go to the link's egress
//   (meters, shaper) like direct ones, under the class.
// - too_big[]: inner packets over overlay_path_mtu, unsealed (data still at the inner IP header, trimmed to its
//   total length). DF set: answer with ICMP fragmentation needed announcing overlay_path_mtu
//   (dataplane/icmp_error.hpp needs the frame back with an Ethernet header) and count too_big_df; DF clear: fragment
//   the inner packet (as the Linux wg interface does) and seal the fragments, or drop as too_big_nodf.
// - Padding: every inner packet is padded to a multiple of 16 (the Linux module pads at most to the inner MTU, so a
//   1420-byte packet goes unpadded there and as 1424 here); receivers take either.
// - want_keys: packets were dropped for lack of a usable send key (overlay_no_key, overlay_key_exhausted); control
//   sees those drop counters move and calls WgSession::want_keys(), and the handshake leaves through a link (control
//   builds it in the same outer headers: overlay_encap_headers below).
// - Control sums overlay_sealed per core for WgSession::on_sent() (data sent: keepalive and rekey timers).
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/counters.hpp"
#include "dataplane/overlay/overlay_config.hpp"
#include "dataplane/overlay/overlay_core.hpp"
#include "dataplane/snapshot.hpp"

namespace wansteer {

struct OverlayEncapResult {
  uint16_t sealed = 0;     // in out[]: ready frames for the link's port (Ethernet to the link's gateway)
  uint16_t too_big = 0;    // in too_big[]: unsealed, for the caller
  bool want_keys = false;  // some were dropped for lack of a send key: a handshake is wanted
};

// pkts[0..n): single-segment mbufs whose data starts at an inner IPv4 header (an Ethernet trailer past its total
// length is trimmed). Each is sealed in place with a counter from core.lease (one reservation per burst, released
// at the end): 58 bytes of headers prepended in the headroom, padding and tag appended in the tailroom. Outer
// headers: Ethernet link.own_mac -> link.gateway_mac; IPv4 link.own_ip -> ov.hub_ip, TTL 64, DF clear and DSCP 0
// as the Linux module sends (the outer packet fits the link's MTU by construction; a smaller MTU further on
// fragments it rather than losing it silently), ECN copied from the inner packet (CE as ECT(0), RFC 6040); UDP
// ov.local_port -> ov.hub_port with checksum 0 (allowed over IPv4, RFC 768; the tag authenticates the payload).
// Drops (freed, counted in c.drop and c.port[pi].drops): no_neighbor (gateway unresolved), overlay_no_room,
// overlay_inner_malformed, overlay_no_key, overlay_key_exhausted, overlay_crypto_failed. out and too_big take up to n
// entries each.
OverlayEncapResult overlay_encap_burst(OverlayCore& core, const OverlayConfig& ov, const LinkConfig& link,
                                       rte_mbuf** pkts, uint16_t n, rte_mbuf** out, rte_mbuf** too_big,
                                       WorkerCounters& c, uint8_t pi);

// Writes the Ethernet, IPv4 and UDP headers of a datagram of payload_len bytes to the hub over link at frame
// (kOverlayOuterLen bytes); the IPv4 checksum included. For control's handshake messages too.
void overlay_encap_headers(const OverlayConfig& ov, const LinkConfig& link, uint8_t* frame, uint16_t payload_len,
                           uint16_t ip_id, uint8_t tos);

}  // namespace wansteer
