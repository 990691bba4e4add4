// What the workers' overlay stages read from the snapshot (issue 13): the WireGuard hub's endpoint, our UDP port,
// the inner MTU, the peer's published keys. A contract between control (snapshot builder) and the data plane.
#pragma once

#include <cstdint>

#include "dataplane/overlay/transport_keys.hpp"

namespace wansteer {

// Outer headers of a transport message on a link: Ethernet, IPv4 without options, UDP, then the WireGuard header.
inline constexpr uint16_t kOverlayEthLen = 14;
inline constexpr uint16_t kOverlayIpLen = 20;
inline constexpr uint16_t kOverlayUdpLen = 8;
inline constexpr uint16_t kOverlayOuterLen = kOverlayEthLen + kOverlayIpLen + kOverlayUdpLen;  // to the WG message
inline constexpr uint16_t kOverlayHeadroom = kOverlayOuterLen + wg::kTransportHeaderSize;      // prepended: 58

// The one peer (the hub) of the overlay, the same over every link: the outer source address, MAC and next hop are
// each link's own (LinkConfig), so one tunnel leaves with a different outer source per link. Hub endpoints are
// reached through the link's gateway (a hub on a link's own subnet is not supported).
// Immutable once published (RCU, like the rest of the snapshot); the keys' shared pointers are released by control
// when it frees the snapshot, never by a worker: workers take `const OverlayConfig&` and never copy `keys`.
struct OverlayConfig {
  bool enabled = false;     // false: the policy has no overlay; nothing else here is set
  uint32_t hub_ip = 0;      // host order
  uint16_t hub_port = 0;    // the hub's UDP port (its ListenPort)
  uint16_t local_port = 0;  // our UDP port on every link: source of what we seal, destination of what we open
  uint16_t inner_mtu = 0;   // largest inner IPv4 packet sealed (overlay mtu, default 1420)
  // WireGuard's allowed IPs of the peer: inner sources a decrypted packet may carry. A hub forwards the whole
  // internet to us, so by default any (0/0); a site-to-site peer would be limited to its LAN prefixes (not yet a
  // policy key).
  uint32_t allowed_src_net = 0, allowed_src_mask = 0;  // host order
  wg::PeerKeysView keys;  // published by control from WgSession::view(); send null: no session yet
};

// The largest inner packet that leaves through link_mtu sealed: the inner MTU, or less when the link's MTU cannot
// carry the outer IPv4 + UDP headers, the WireGuard header, the padding to 16 bytes and the tag. What an ICMP
// fragmentation-needed for overlay traffic announces, and what the TCP MSS clamp for it follows (minus 40).
constexpr uint16_t overlay_path_mtu(uint16_t inner_mtu, uint16_t link_mtu) {
  const int room = int{link_mtu} - kOverlayIpLen - kOverlayUdpLen - int{wg::kTransportHeaderSize} - int{wg::kTagSize};
  const int fits = room < 0 ? 0 : room / int{wg::kPaddingMultiple} * int{wg::kPaddingMultiple};
  return static_cast<uint16_t>(fits < inner_mtu ? fits : inner_mtu);
}
static_assert(overlay_path_mtu(1420, 1500) == 1420);  // 1420 pads to 1424: 1424 + 60 = 1484 bytes on the wire
static_assert(overlay_path_mtu(1420, 1400) == 1328);

}  // namespace wansteer
