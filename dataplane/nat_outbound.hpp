// Source NAT of LAN->WAN IPv4 packets leaving on a link with `nat: true`, in two steps shared by the fast lane
// (lookup only: a flow without a session goes to the general path) and the general path (lookup or create).
#pragma once
#include <cstdint>

#include "dataplane/drop_reasons.hpp"
#include "dataplane/nat_session_table.hpp"
#include "dataplane/nat_translate.hpp"

namespace wansteer {

struct DataplaneSnapshot;
struct WorkerContext;

// elsewhere: another worker (*owner) owns the inside endpoint's mappings: hand the packet over (nat_handoff.hpp).
enum class NatOut : uint8_t { ok, no_session, table_full, host_limit, no_port, untranslatable, elsewhere };

// The session of the packet whose IPv4 header is at `ip` (`seg_left` bytes of the first segment from there) on
// `link`, made when missing and `create`; refreshed and its TCP state moved. Nothing in the packet changes yet.
// With several workers, an inside endpoint (address, port or echo id) belongs to worker port % workers, which
// makes all of its mappings: one external port per endpoint whichever queue its flows arrive on (RFC 4787 REQ-1
// across workers; af_packet's fanout moves a flow between queues when one fills), and the inside port kept, since
// that worker hands out exactly the ports p % workers == its id. `owner` given: a packet of another worker's
// endpoint is `elsewhere`, nothing looked up. Null (hairpinning): the mapping is made here, as with one worker.
// `hint` (the fast lane's, kept per flow; may be null): tried before the hash (find_outbound_hinted), set on ok.
NatOut nat_outbound_session(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t* ip,
                            uint32_t seg_left, bool create, uint64_t now_tsc, NatSession** session, uint16_t* owner,
                            uint32_t* hint = nullptr);

// A packet going out on session `s` (its transport header at `l4`): refreshed, TCP state moved.
inline void nat_outbound_touch(NatSession& s, NatProto p, const uint8_t* l4, uint64_t now_tsc) {
  s.last_seen_tsc = now_tsc;
  if (p == NatProto::tcp) nat_tcp_track(s, l4[13], true);
}

// Rewrites the packet's source to the link's address `ext_ip` (host order) and the session's external port.
// `ip_more`: as nat_rewrite_endpoint's (the LAN fast lane's TTL decrement).
inline void nat_outbound_rewrite(uint8_t* ip, const NatSession& s, uint32_t ext_ip, uint32_t ip_more = 0) {
  uint8_t* l4 = ip + (ip[0] & 0xfu) * 4u;
  const uint8_t proto = ip[9];
  nat_rewrite_endpoint(ip, proto, ip + 12, ext_ip, nat_port_field(l4, proto, true), s.ext_port, nat_l4_sum(l4, proto),
                       ip_more);
}

// nat_outbound_rewrite of a packet the LAN fast lane took: an option-less IPv4 header (its transport header at ip +
// 20), TCP (`tcp`, its header checked by lane_tcp_ok) or UDP (lane_ipv4_ok), so neither the header's length nor
// ICMP is tested again.
inline void nat_lane_outbound_rewrite(uint8_t* ip, bool tcp, const NatSession& s, uint32_t ext_ip, uint32_t ip_more) {
  uint8_t* l4 = ip + 20;
  nat_rewrite_endpoint(ip, kIpProtoTcp, ip + 12, ext_ip, l4, s.ext_port, nat_l4_sum_tcp_udp(l4, tcp), ip_more);
}

// The drop reason of a failed outcome.
DropReason nat_out_drop_reason(NatOut o);

}  // namespace wansteer
