// Every reason the fast path drops a packet, as one X-macro list: counters, names and metrics all come from it.
#pragma once
#include <cstdint>

namespace wansteer {

#define WANSTEER_DROP_REASONS(X)                                                                      \
  X(truncated_ethernet, "frame shorter than an Ethernet header")                                      \
  X(truncated_vlan, "VLAN tag cut short")                                                             \
  X(too_many_vlans, "more than two VLAN tags")                                                        \
  X(unsupported_ethertype, "not IPv4, IPv6 or ARP")                                                   \
  X(truncated_arp, "ARP shorter than its header")                                                     \
  X(truncated_ipv4, "IPv4 header cut short")                                                          \
  X(bad_ipv4_version, "IPv4 version field is not 4")                                                  \
  X(bad_ipv4_header_length, "IPv4 IHL below 5 or beyond the frame")                                   \
  X(bad_ipv4_total_length, "IPv4 total length inconsistent with header or frame")                     \
  X(bad_ipv4_checksum, "IPv4 header checksum wrong")                                                  \
  X(truncated_ipv6, "IPv6 header cut short")                                                          \
  X(bad_ipv6_version, "IPv6 version field is not 6")                                                  \
  X(bad_ipv6_payload_length, "IPv6 payload length beyond the frame")                                  \
  X(bad_ipv6_extension, "IPv6 extension header chain malformed or too long")                          \
  X(truncated_l4, "TCP/UDP/ICMP header cut short")                                                    \
  X(bad_tcp_header_length, "TCP data offset below 5 or beyond the packet")                            \
  X(ttl_expired, "IPv4 TTL or IPv6 hop limit would reach zero")                                       \
  X(no_route, "no LAN subnet or WAN route for the destination")                                       \
  X(no_usable_link, "every link the class may use is down")                                           \
  X(no_neighbor, "next hop MAC address not resolved yet")                                             \
  X(not_for_us, "addressed to the edge but not ARP or ICMP echo")                                     \
  X(martian_source, "WAN packet with a LAN source address")                                           \
  X(control_ring_full, "hand-off ring to the control thread full")                                    \
  X(tx_full, "transmit queue full")                                                                   \
  X(lan_hairpin, "LAN to LAN traffic sent to the edge")                                               \
  X(meter_exceed, "over the class's rate limit on the link")                                          \
  X(class_blocked, "class blocked on the link (on_backup: block)")                                    \
  X(budget_exhausted, "class blocked on a link whose data budget is spent")                           \
  X(queue_full, "shaper queue of the class full (tail drop)")                                         \
  X(queue_delay, "waited in the shaper queue beyond the delay target (CoDel)")                        \
  X(handoff_full, "hand-off ring to the link's owner worker full")                                    \
  X(queue_timeout, "waited in the shaper queue beyond the hard bound (max wait)")                     \
  X(shutdown_flush, "still queued in egress when the worker stopped")                                 \
  X(not_our_mac, "LAN unicast frame addressed to another host's MAC")                                 \
  X(lan_multicast, "LAN broadcast or multicast frame the edge does not handle")                       \
  X(vlan_not_configured, "LAN frame on a VLAN (or untagged) the policy has no subnet on")             \
  X(qinq_tagged, "LAN frame with two VLAN tags (802.1ad / QinQ)")                                     \
  X(source_not_in_subnet, "LAN source address not of the subnet it arrived on")                       \
  X(arp_rate_limited, "ARP to the control thread over the worker's rate")                             \
  X(nat_table_full, "new NAT session but the worker's session table is full")                         \
  X(nat_host_limit, "new NAT session but the LAN host holds its cap (nat per_host)")                  \
  X(nat_no_port, "new NAT session but no free port on the link's address")                            \
  X(nat_untranslatable, "not translatable on a NAT link (later fragment, ICMP not echo)")             \
  X(inbound_no_session, "WAN packet to a NAT link's address matching no session")                     \
  X(inbound_unsolicited, "WAN packet straight to a LAN host through a NAT link")                      \
  X(nat_handoff_full, "hand-off ring to the NAT session's owner worker full")                         \
  X(too_big_df, "over the link's MTU with DF set (fragmentation needed sent)")                        \
  X(too_big_nodf, "over the link's MTU, DF clear, link with fragment: false")                         \
  X(fragment_failed, "over the link's MTU, DF clear, fragmenting it failed")                          \
  X(inbound_forward_denied, "WAN packet to a port forward from a source its from: leaves out")        \
  X(firewall_no_session, "WAN packet to a LAN host on a routed link matching no session or forward")  \
  X(firewall_untracked, "WAN packet to a LAN host on a routed link the firewall never lets in")       \
  X(overlay_no_key, "overlay: no WireGuard send key yet (handshake wanted)")                          \
  X(overlay_key_exhausted, "overlay: send key's counters used up (handshake wanted)")                 \
  X(overlay_no_room, "overlay: mbuf chained or short of head/tailroom for WireGuard")                 \
  X(overlay_inner_malformed, "overlay: inner packet not IPv4 or its total length wrong")              \
  X(overlay_malformed, "overlay: datagram's outer headers or WireGuard message malformed")            \
  X(overlay_unknown_peer, "overlay: datagram to our WireGuard port not from the hub")                 \
  X(overlay_unknown_index, "overlay: transport message for a receiver index without a key")           \
  X(overlay_replayed, "overlay: transport message counter behind the replay window (a replay)")       \
  X(overlay_bad_tag, "overlay: message failed authentication (wrong key, tampered)")                  \
  X(overlay_source_not_allowed, "overlay: inner source outside the peer's allowed IPs")               \
  X(overlay_not_ipv4, "overlay: IPv6 packet of a class on an overlay path (the tunnel carries IPv4)") \
  X(overlay_crypto_failed, "overlay: libcrypto failed to seal a packet")

enum class DropReason : uint8_t {
#define WANSTEER_DROP_ENUM(name, text) name,
  WANSTEER_DROP_REASONS(WANSTEER_DROP_ENUM)
#undef WANSTEER_DROP_ENUM
      count_
};
inline constexpr uint32_t kDropReasonCount = static_cast<uint32_t>(DropReason::count_);

inline constexpr const char* kDropReasonNames[] = {
#define WANSTEER_DROP_NAME(name, text) #name,
    WANSTEER_DROP_REASONS(WANSTEER_DROP_NAME)
#undef WANSTEER_DROP_NAME
};
inline constexpr const char* kDropReasonHelp[] = {
#define WANSTEER_DROP_HELP(name, text) text,
    WANSTEER_DROP_REASONS(WANSTEER_DROP_HELP)
#undef WANSTEER_DROP_HELP
};

}  // namespace wansteer
