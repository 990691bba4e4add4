// What the workers' overlay stages read from the snapshot (issue 13): the WireGuard hub's endpoint, our UDP port,
// the inner MTU, the peer's published keys. A contract between control (snapshot builder) and the data plane.
#pragma once

#include <cstdint>

#include "dataplane/limits.hpp"
#include "dataplane/overlay/transport_keys.hpp"

namespace wansteer {

// Outer headers of a transport message on a link: Ethernet, IPv4 without options, UDP, then the WireGuard header.
inline constexpr uint16_t kOverlayEthLen = 14;
inline constexpr uint16_t kOverlayIpLen = 20;
inline constexpr uint16_t kOverlayUdpLen = 8;
inline constexpr uint16_t kOverlayOuterLen = kOverlayEthLen + kOverlayIpLen + kOverlayUdpLen;  // to the WG message
inline constexpr uint16_t kOverlayHeadroom = kOverlayOuterLen + wg::kTransportHeaderSize;      // prepended: 58

inline constexpr uint8_t kMaxOverlayPrefixes = 8;  // a site peer's allowed_ips

struct OverlayPrefix {
  uint32_t net = 0, mask = 0;  // host order
};

// The one peer (the hub) of the overlay, the same over every link: the outer source address, MAC and next hop are
// each link's own (LinkConfig), so one tunnel leaves with a different outer source per link. Hub endpoints are
// reached through the link's gateway (a hub on a link's own subnet is not supported).
// Immutable once published (RCU, like the rest of the snapshot); the keys' shared pointers are released by control
// when it frees the snapshot, never by a worker: workers take `const OverlayConfig&` and never copy `keys`.
struct OverlayConfig {
  bool enabled = false;     // false: the policy has no overlay; nothing else here is set
  uint32_t hub_ip = 0;      // host order; a site peer's endpoint as last learned (0: none yet, nothing is sealed)
  uint16_t hub_port = 0;    // the hub's UDP port (its ListenPort)
  uint16_t local_port = 0;  // our UDP port on every link: source of what we seal, destination of what we open
  uint16_t inner_mtu = 0;   // largest inner IPv4 packet sealed (overlay mtu, default 1420)
  // WireGuard's allowed IPs of the peer: inner sources a decrypted packet may carry. A hub forwards the whole
  // internet to us: one prefix, 0/0. A site peer (`overlay: peer:`) has its LAN prefixes here, and they are also
  // the destinations sealed to it (overlay_routes_to).
  bool site = false;      // a site peer: any outer source its key authenticates is accepted (the endpoint roams)
  uint8_t n_allowed = 1;  // by default one prefix, 0/0: any source (a hub's)
  OverlayPrefix allowed[kMaxOverlayPrefixes];  // host order
  // A site peer's other endpoint heard within seconds (its second link; 0: none), and the classes that duplicate
  // (bit c: `duplicate: always`): with no second link of ours to copy over, their copy goes there over the same link.
  uint32_t alt_ip = 0;  // host order
  uint16_t alt_port = 0;
  uint16_t dup_classes = 0;
  wg::PeerKeysView keys;  // published by control from WgSession::view(); send null: no session yet
};

// An inner source (or, for a site peer, a destination) within the peer's allowed IPs.
inline bool overlay_allows(const OverlayConfig& ov, uint32_t ip) {
  for (uint8_t i = 0; i < ov.n_allowed; i++)
    if ((ip & ov.allowed[i].mask) == ov.allowed[i].net) return true;
  return false;
}

// A LAN packet to dst goes into the tunnel whatever its class's path kind: dst is the site peer's (its LAN).
inline bool overlay_routes_to(const OverlayConfig& ov, uint32_t dst) { return ov.site && overlay_allows(ov, dst); }

// The largest inner packet that leaves through link_mtu sealed: the inner MTU, or less when the link's MTU cannot
// carry the outer IPv4 + UDP headers, the WireGuard header, the padding to 16 bytes and the tag. What an ICMP
// fragmentation-needed for overlay traffic announces, and what the TCP MSS clamp for it follows (minus 40).
constexpr uint16_t overlay_path_mtu(uint16_t inner_mtu, uint16_t link_mtu) {
  const int room = int{link_mtu} - kOverlayIpLen - kOverlayUdpLen - int{wg::kTransportHeaderSize} - int{wg::kTagSize};
  const int fits = room < 0 ? 0 : room / int{wg::kPaddingMultiple} * int{wg::kPaddingMultiple};
  return static_cast<uint16_t>(fits < inner_mtu ? fits : inner_mtu);
}
static_assert(kMaxClasses <= 16, "OverlayConfig::dup_classes has a bit per class");
static_assert(overlay_path_mtu(1420, 1500) == 1420);  // 1420 pads to 1424: 1424 + 60 = 1484 bytes on the wire
static_assert(overlay_path_mtu(1420, 1400) == 1328);

}  // namespace wansteer
