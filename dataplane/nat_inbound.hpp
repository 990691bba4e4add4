// Destination NAT of WAN->LAN IPv4 packets addressed to a NAT link's own address: replies to sessions the LAN
// opened (TCP, UDP, ICMP echo replies) and ICMP errors about them (RFC 5508: the embedded header too).
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/nat_session_table.hpp"
#include "dataplane/nat_translate.hpp"
#include "dataplane/packet_meta.hpp"

namespace wansteer {

struct DataplaneSnapshot;
struct WorkerContext;

// elsewhere: the session, if any, belongs to another worker (*owner): hand the packet over (nat_handoff.hpp).
// denied: to a port forward whose `from` does not hold the source. full: a forward's new session found no room.
enum class NatIn : uint8_t { ok, no_session, untranslatable, elsewhere, denied, full };

// Translates the packet in place back to its LAN host (meta->dst and dport follow) when it belongs to one of
// this worker's sessions on `link`, or is addressed to one of the link's port forwards (a session to the forward's
// LAN host is made then: its replies leave through it like any session's); moves the TCP state. On any other outcome
// the packet is unchanged; for `elsewhere`, *owner (when given) is the worker whose port it is addressed to.
NatIn nat_inbound(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, PacketMeta* meta,
                  uint64_t now_tsc, uint16_t* owner = nullptr);

// A reply to session `s` (TCP, UDP or an ICMP echo reply: the IPv4 header at `ip`, its transport header at `l4`, the
// port or identifier field at `port_at`) translated back to the LAN host in place, every checksum following; the
// session refreshed and its TCP state moved (FIN and RST included). nat_inbound and the WAN fast lane both.
// `ip_more`: as nat_rewrite_endpoint's (the WAN fast lane's TTL decrement).
inline void nat_inbound_rewrite(NatSession& s, uint8_t* ip, uint8_t* l4, uint8_t* port_at, uint64_t now_tsc,
                                uint32_t ip_more = 0) {
  const uint8_t proto = ip[9];
  s.last_seen_tsc = now_tsc;
  if (proto == kIpProtoTcp) nat_tcp_track(s, l4[13], false);
  nat_rewrite_endpoint(ip, proto, ip + 16, s.in_ip, port_at, s.in_port, nat_l4_sum(l4, proto), ip_more);
}

// nat_inbound_rewrite of a reply the WAN fast lane took: an option-less IPv4 header (its transport header at ip +
// 20), TCP (`tcp`, its header checked by lane_tcp_ok) or UDP (lane_frame_ok), so neither the header's length nor
// ICMP is tested again.
inline void nat_lane_inbound_rewrite(NatSession& s, uint8_t* ip, bool tcp, uint64_t now_tsc, uint32_t ip_more) {
  uint8_t* l4 = ip + 20;
  s.last_seen_tsc = now_tsc;
  if (tcp) nat_tcp_track(s, l4[13], false);
  nat_rewrite_endpoint(ip, kIpProtoTcp, ip + 16, s.in_ip, l4 + 2, s.in_port, nat_l4_sum_tcp_udp(l4, tcp), ip_more);
}

}  // namespace wansteer
