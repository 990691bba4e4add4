// Per-packet metadata written once by parse_burst into the mbuf private area; later stages read it, never re-parse.
#pragma once
#include <rte_mbuf.h>
#include <array>
#include <cstdint>

namespace wansteer {

enum class L3 : uint8_t { none = 0, ipv4 = 4, ipv6 = 6, arp = 1 };

struct PacketMeta {
  // Addresses in network byte order exactly as on the wire; IPv4 uses the first 4 bytes.
  std::array<uint8_t, 16> src;
  std::array<uint8_t, 16> dst;
  uint16_t sport;       // host order; 0 when not TCP/UDP or not first fragment
  uint16_t dport;       // host order
  uint16_t l3_offset;   // bytes from frame start to the IP (or ARP) header
  uint16_t l4_offset;   // bytes from frame start to the L4 header (0 when absent)
  uint16_t l3_len;      // IP total length claimed by the header (bytes, incl. IP header)
  uint16_t vlan;        // outer VLAN id (0 = untagged)
  uint16_t inner_vlan;  // QinQ inner VLAN id (0 = none)
  uint8_t l3;           // L3 enum
  uint8_t proto;        // IP protocol / IPv6 upper-layer next header
  uint8_t dscp;         // 0..63
  uint8_t vlan_count;   // 0, 1 or 2 tags
  uint8_t flags;        // kFlag* bits
  uint8_t icmp_type;    // ICMP / ICMPv6 type when proto is ICMP
  uint8_t port;         // ingress port index (0 = LAN, 1.. = WAN link index + 1)
  uint8_t class_id;     // set by classify (or flow cache hit)
  uint8_t link;         // set by steer: WAN link index, or kNoLink
  uint8_t cp_reason;    // why the packet is handed to control (kToControl*), 0 otherwise
  uint32_t flow_hash;   // hash of the 5-tuple, used by steering and the flow cache

  static constexpr uint8_t kFlagFragment = 1;       // IPv4/IPv6 fragment (any)
  static constexpr uint8_t kFlagLaterFragment = 2;  // not the first fragment: no L4 header present
  // A LAN frame the fast lane handed, before any work, to the worker owning its inside port (nat_handoff.hpp): of
  // the metadata only `port` (0) and `flags` are set; the owner runs it through its LAN path (lan_receive_handed).
  static constexpr uint8_t kFlagLanFrame = 4;

  static constexpr uint8_t kToControlArp = 1;  // ARP: control answers and learns neighbours
  // A packet for a LAN host whose MAC is not known: ready but for its Ethernet header; control ARPs and holds it.
  static constexpr uint8_t kToControlResolve = 2;
  static constexpr uint8_t kToControlProbe = 3;    // reply to one of control's link probes, with its rx TSC
  static constexpr uint8_t kToControlDhcp = 4;     // a DHCP server's reply on an `address: dhcp` link
  static constexpr uint8_t kToControlOverlay = 5;  // a WireGuard handshake message from the hub (types 1-3)
  // an opened reply to one of control's probes through the overlay (dataplane/overlay/overlay_probe.hpp), rx TSC
  static constexpr uint8_t kToControlOverlayProbe = 6;
};

static_assert(sizeof(PacketMeta) <= 64, "PacketMeta must fit one cache line in the mbuf private area");

inline constexpr uint16_t kMbufPrivSize = 64;

inline PacketMeta* meta_of(rte_mbuf* m) { return static_cast<PacketMeta*>(rte_mbuf_to_priv(m)); }

}  // namespace wansteer
