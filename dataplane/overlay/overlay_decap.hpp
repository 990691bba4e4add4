// The overlay's receiving stage (issue 13): UDP datagrams from the hub on a link are checked, WireGuard transport
// messages opened in place and stripped to the inner IPv4 packet; handshake messages are set aside for control.
// Worker threads, per core (replay windows in OverlayCore), no locks.
//
// What the next step (the worker's WAN receive path) does around it:
// - Pick the datagrams: UDP from ov.hub_ip:ov.hub_port to the link's address and ov.local_port, before NAT and the
//   firewall (they are the edge's own traffic); everything else goes on as now.
// - inner[]: IPv4 packets with data at the inner IP header, trimmed to its total length: route them to the LAN
//   like replies from a link (prepend the LAN Ethernet header; NAT is not involved, the hub did it), parsed again
//   for the flow cache; count them per class on the overlay path.
// - handshakes[]: hand them to control (hand_to_control with a new reason) for WgSession::handle_handshake(); the
//   reply leaves through the same link (overlay_encap_headers).
// - Control reads overlay_opened / overlay_keepalives_in (any message received: timers) and TransportKeys::opened
//   of the "next" keypair (its confirmation) for WgSession::on_received().
// - Duplicates over two links reach one core's window only if the NIC steers them to one queue (RSS on the outer
//   5-tuple puts each link's datagrams on a core of its own): deduplicating across links needs one queue per peer
//   or a shared window, see control/overlay/wg_session.hpp. With one worker (or both links' queues on one core) the
//   second copy is authenticated, found taken in the window and counted in overlay_duplicates_discarded (not a drop
//   reason: it is what duplicate: asks for). With several workers the copies usually open on two cores, each window
//   takes its copy, and the inner packet is delivered twice: voice and RTP tolerate that (the receiver's jitter
//   buffer drops the repeat by RTP sequence number), which is what duplication is for.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/counters.hpp"
#include "dataplane/overlay/overlay_config.hpp"
#include "dataplane/overlay/overlay_core.hpp"
#include "dataplane/snapshot.hpp"

namespace wansteer {

struct OverlayDecapResult {
  uint16_t inner = 0;       // in inner[]: opened IPv4 packets
  uint16_t handshakes = 0;  // in handshakes[]: untouched frames of handshake messages (types 1, 2, 3)
};

// pkts[0..n): Ethernet frames (untagged) received on link. Checked: IPv4 (header checksum, not a fragment), UDP
// (length; its checksum is not: the tag authenticates what matters), from ov.hub_ip:ov.hub_port to
// link.own_ip:ov.local_port, a WireGuard message. Transport messages are opened with the receive key their receiver
// index names in ov.keys and this core's replay window of it; a keepalive (empty) is counted and freed, and so is an
// authentic message whose counter the window already took (c.overlay_duplicates_discarded: the second copy of a
// duplicated packet); a data message's inner packet must be IPv4 from ov's allowed sources. The UDP checksum is not
// checked.
// Drops (freed, counted in c.drop and c.port[pi].drops): overlay_malformed, overlay_unknown_peer,
// overlay_unknown_index, overlay_replayed (a counter behind the window), overlay_bad_tag (checked before the window:
// a forged copy is a bad tag, never a duplicate), overlay_inner_malformed, overlay_source_not_allowed.
// inner and handshakes take up to n entries each.
OverlayDecapResult overlay_decap_burst(OverlayCore& core, const OverlayConfig& ov, const LinkConfig& link,
                                       rte_mbuf** pkts, uint16_t n, rte_mbuf** inner, rte_mbuf** handshakes,
                                       WorkerCounters& c, uint8_t pi);

}  // namespace wansteer
