// LAN fast lane (see fast_lane.hpp): pass A checks frames, builds flow keys and prefetches their cache lines; pass
// B looks them up and forwards the hits the general path would forward unchanged, through the same route table,
// liveness test, TTL update and counting (route_send.hpp, cached_flow.hpp, hop_limit.hpp). The rest goes there.
#include "dataplane/fast_lane.hpp"

#include <bit>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_prefetch.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/cached_flow.hpp"
#include "dataplane/flow_cache.hpp"
#include "dataplane/hop_limit.hpp"
#include "dataplane/host_pair_key.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/lane_frame.hpp"
#include "dataplane/nat_handoff.hpp"
#include "dataplane/nat_outbound.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/route_send.hpp"
#include "dataplane/routed_firewall.hpp"
#include "dataplane/tcp_mss.hpp"

namespace wansteer {
namespace {

// The IPv4 source address, host order. By memcpy: the IP header sits 2 bytes off a 4-byte boundary (after 14 bytes
// of Ethernet), where a uint32_t load is undefined behaviour (UBSan, found by fuzz_worker); on x86 it is one load.
inline uint32_t ipv4_source(const uint8_t* ip) {
  uint32_t be;
  std::memcpy(&be, ip + 12, 4);
  return be_to_host32(be);
}

// A frame's destination MAC is `mac` (the MAC's 6 bytes in the low bytes of a word): one masked 8-byte load and
// compare, for a frame of at least 8 bytes.
inline bool frame_sent_to(const uint8_t* p, uint64_t mac) {
  uint64_t dst;
  std::memcpy(&dst, p, 8);
  return ((dst ^ mac) & 0xffffffffffffu) == 0;
}

// The PacketMeta egress reads (egress.hpp: the class; meter.cpp's DSCP remark: where the IPv4 header is), the rest
// zeroed: only needed when egress meters, queues or hands the packet to another core. Filling it as parse_packet
// would (addresses, ports, lengths, DSCP, fragment flag, hash) cost ~38 instructions a packet in run D, ~10 this way.
inline void fill_egress_meta(rte_mbuf* m, uint8_t cls, uint8_t link) {
  PacketMeta* meta = meta_of(m);
  std::memset(meta, 0, sizeof(*meta));
  meta->l3_offset = kLaneEthLen;  // after the rewrite: a tagged frame's tag is gone
  meta->l4_offset = kLaneEthLen + kLaneIpLen;
  meta->l3 = static_cast<uint8_t>(L3::ipv4);
  meta->class_id = cls;
  meta->link = link;
}

// The flow's NAT session (*ns) or, on a routed link, its firewall session, looked up and refreshed as the general
// path does; a NAT session through the flow's hint (FlowCache::nat_hint), so a cached flow needs no hash lookup.
// The usual case, a hint naming the flow's live session, is answered here (inline, the hint left as it is); the
// rest by nat_outbound_session, whose session becomes the hint. False: the general path's (a session not made yet or
// expired, or another worker's, which it hands over; with several workers such frames went to their owner in pass A and
// do not get here).
inline bool lane_session(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t* ip, uint32_t seg_left,
                         uint64_t now_tsc, FlowEntry* e, NatSession** ns) {
  uint16_t owner = 0;
  if (snap.links[link].nat) {
    uint32_t hint = FlowCache::nat_hint(e);
    if (w.nat) {
      const NatProto p = ip[9] == kLaneProtoTcp ? NatProto::tcp : NatProto::udp;  // the lane takes only these
      const uint8_t* l4 = ip + kLaneIpLen;
      NatSession* s = w.nat->hinted_live(hint, link, p, nat_rd32(ip + 12), nat_rd16(l4), now_tsc, snap.nat.timeouts);
      if (s != nullptr) {
        nat_outbound_touch(*s, p, l4, now_tsc);
        *ns = s;
        return true;
      }
    }
    const bool ok = nat_outbound_session(w, snap, link, ip, seg_left, false, now_tsc, ns, &owner, &hint) == NatOut::ok;
    FlowCache::set_nat_hint(e, hint);
    return ok;
  }
  if (!snap.links[link].firewall) return true;
  const FwOut f = firewall_outbound(w, snap, link, ip, seg_left, false, now_tsc, &owner);
  return f == FwOut::ok || f == FwOut::untracked;  // untracked: no session table (tests)
}

// What this burst's links ask of the lane: any_nat, a link translates (and the worker has a NAT table): only then
// are the hinted sessions worth loading early; by_owner, with several workers a link translates or tracks sessions, so
// a frame goes to the worker owning its inside port (nat_outbound.hpp) before any work here.
struct LaneLinks {
  bool any_nat = false;
  bool by_owner = false;
};
inline LaneLinks lane_links(const WorkerContext& w, const DataplaneSnapshot& snap, bool received_here) {
  bool nat = false, sessions = false;
  for (uint8_t l = 0; l < snap.n_links; l++) {
    nat |= snap.links[l].nat;
    sessions |= snap.links[l].nat || snap.links[l].firewall;
  }
  const bool table = w.nat != nullptr;
  return LaneLinks{nat && table, sessions && table && received_here && w.nat_handoff.n_workers > 1};
}

// One burst's candidates: the packets whose frames the lane takes, pkts[at[j]] for candidate j.
struct LaneCandidates {
  FlowKey4 keys[kBurst];
  uint32_t hashes[kBurst];
  uint32_t pair_hashes[kBurst];  // set by find_entries for flows whose route is kLaneHostPair
  FlowEntry* ents[kBurst];       // each key's entry (nullptr: a miss)
  uint8_t* frame[kBurst];
  uint8_t l3_off[kBurst];  // kLaneEthLen, or kLaneTaggedLen for a frame with one 802.1Q tag
  uint8_t at[kBurst];
  uint64_t tcp = 0;  // bit j: candidate j is TCP (else UDP)
  uint16_t n = 0;
  uint16_t handed = 0;  // frames handed to their inside port's owner (by_owner)
};

// Pass A: the frame checks, the flow key and hash; the key's home slot starts loading at once. Counts pkts[0..n) as
// received; returns the bits of those left to the general path. Admission depends on the frame, not only its flow:
// a cached flow's 5-tuple sent to another MAC, on another VLAN, or with a source of a subnet on another VLAN, goes
// to the general path, which drops it with its reason. (lan_source_admitted for the frame's VLAN implies that VLAN
// is configured.) The key carries the frame's VLAN id as parse_packet's does; the hash leaves it out, as its does.
inline uint64_t lane_candidates(WorkerContext& w, const DataplaneSnapshot& snap, LaneLinks links, bool received_here,
                                rte_mbuf** pkts, uint16_t n, LaneCandidates& c) {
  FlowCache* flows = w.flows.get();
  uint64_t rest = 0;
  uint64_t rx_bytes = 0;
  // The LAN port's MAC as a word for frame_sent_to (lan_lane_frame, tested first, found at least 42 bytes).
  uint64_t lan_mac = 0;
  std::memcpy(&lan_mac, snap.lan_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
    rx_bytes += m->pkt_len;
    uint16_t vlan = 0;
    const uint32_t off = lan_lane_frame(m, p, &vlan);
    const uint8_t* ip = p + off;
    if (off == 0 || !frame_sent_to(p, lan_mac) || !lan_source_admitted(snap, vlan, ipv4_source(ip))) {
      rest |= uint64_t{1} << i;
      continue;
    }
    if (links.by_owner && !w.nat->owns(wire_be16(ip + kLaneIpLen))) {  // TCP or UDP: the source port is there
      PacketMeta* meta = meta_of(m);
      meta->port = 0;
      meta->flags = PacketMeta::kFlagLanFrame;
      nat_handoff_stage(w, w.nat->owner_of(wire_be16(ip + kLaneIpLen)), m);
      c.handed++;
      continue;
    }
    uint64_t addrs;
    uint32_t ports_be;  // source and destination port as on the wire
    std::memcpy(&addrs, ip + 12, 8);
    std::memcpy(&ports_be, ip + kLaneIpLen, 4);
    const uint8_t proto = ip[9];
    // Host-order ports as FlowKey keeps them (sport in the low half): each 16-bit half byte-swapped.
    const uint32_t ports = std::rotr(byte_swap32(ports_be), 16);
    const uint64_t tail = FlowKey4::tail_of(ports, proto);
    const uint16_t j = c.n++;
    c.keys[j] = FlowKey4{addrs, FlowKey4::with_vlan(tail, vlan)};
    c.hashes[j] = ipv4_flow_hash(addrs, tail);
    flows->prefetch(c.hashes[j]);
    c.frame[j] = p;
    c.l3_off[j] = static_cast<uint8_t>(off);
    c.at[j] = static_cast<uint8_t>(i);
    c.tcp |= uint64_t{proto == kLaneProtoTcp} << j;
  }
  if (received_here) {
    w.counters.port[0].rx_packets.add(n);
    w.counters.port[0].rx_bytes.add(rx_bytes);
  }
  return rest;
}

// Each key's entry; the NAT session a NAT flow's hint names, and the host pair's entry of a flow of a host-pair
// class, start loading while the others are found, so pass B finds them in cache.
inline void find_entries(WorkerContext& w, const DataplaneSnapshot& snap, const RouteTable& routes, bool any_nat,
                         LaneCandidates& c) {
  FlowCache* flows = w.flows.get();
  for (uint16_t j = 0; j < c.n; j++) {
    FlowEntry* e = flows->find(c.keys[j], c.hashes[j]);
    c.ents[j] = e;
    if (e == nullptr || e->link >= kMaxLinks) continue;
    if (any_nat && snap.links[e->link].nat) w.nat->prefetch_hinted(FlowCache::nat_hint(e));
    if (routes.any_host_pair &&
        routes.route[e->class_id & (kMaxClasses - 1)][e->link].fast == LinkRoute::kLaneHostPair) {
      c.pair_hashes[j] = ipv4_host_pair_hash(c.keys[j].addrs);
      flows->prefetch(c.pair_hashes[j]);
    }
  }
}

// Host-pair classes. The general path steers such a flow twice: its own entry by steer_cached (flow_steer.cpp),
// then the pair's entry decides the link (host_pair_steer.cpp), and only the pair's link is used. The lane
// forwards only where both steps would change nothing but the entries' last_seen: the flow may stay on its own
// link (its route is kLaneHostPair, checked by the caller), and the pair's entry is current, of the same class, on a
// link the class may stay on and send to. Returns that entry; nullptr where the general path would make or renew
// the pair's entry (none, expired, older policy, another class's) or move it: the packet is the general path's.
// Why a second lookup rather than the pair's link remembered in the flow's entry: every packet of every flow of the
// pair must refresh the pair's entry (else it expires under an active flow and is picked again), so its line is
// written anyway; the flow's entry (one line with its key) has no room left; and the pair's own entry is exact by
// construction, whatever moved or renewed it since. Its line was prefetched in find_entries, and only flows of
// host-pair classes pay for it. (Within a burst, the lane's packets see the pair's entry as it was before the
// general path's packets of the burst: as if they had come first, the reordering fast_lane.hpp allows.)
inline FlowEntry* lane_pair_entry(FlowCache& flows, const RouteTable& routes, uint64_t addrs, uint32_t pair_hash,
                                  uint8_t cls, uint16_t generation, uint64_t now_tsc, uint64_t idle_tsc) {
  FlowEntry* pe = flows.find(FlowKey4{addrs, kIpv4HostPairTail}, pair_hash);
  if (pe == nullptr || !flow_entry_current(*pe, generation, now_tsc, idle_tsc) || pe->class_id != cls ||
      pe->link >= kMaxLinks || routes.route[cls][pe->link].fast == LinkRoute::kLaneNo)
    return nullptr;
  return pe;
}

// Pass B for candidate j (packet m, TCP when `tcp`, else UDP): forwards a hit the general path would forward
// unchanged, as it would, and returns true; else returns false and leaves the packet, its entries and sessions
// untouched.
inline bool lane_forward(WorkerContext& w, const DataplaneSnapshot& snap, const RouteTable& routes,
                         const LaneCandidates& c, uint16_t j, rte_mbuf* m, bool tcp, uint16_t generation,
                         uint64_t now_tsc) {
  FlowEntry* e = c.ents[j];
  // A miss, an expired or older-policy entry (classified again), a flow that must move, a link without a next
  // hop: all the general path's. The same tests it makes, from the same route table.
  if (e == nullptr || !flow_entry_current(*e, generation, now_tsc, snap.flow_idle_tsc) || e->link >= kMaxLinks)
    return false;
  const uint8_t cls = e->class_id & (kMaxClasses - 1);
  uint8_t link = e->link;
  // By pointer, not a copy: a 32-byte copy kept live across the frame's rewrite spilled to the stack (about 30
  // instructions a packet, callgrind). The few fields read after the frame is written are simply loaded again.
  const LinkRoute* r = &routes.route[cls][link];
  FlowEntry* pair = nullptr;
  if (r->fast == LinkRoute::kLaneHostPair) {
    pair = lane_pair_entry(*w.flows, routes, c.keys[j].addrs, c.pair_hashes[j], cls, generation, now_tsc,
                           snap.flow_idle_tsc);
    if (pair == nullptr) return false;
    link = pair->link;
    r = &routes.route[cls][link];
  }
  uint8_t* p = c.frame[j];
  const uint32_t off = c.l3_off[j];
  uint8_t* ip = p + off;
  // Over the link's MTU (one compare): the general path drops it and tells the sender (fragmentation needed).
  const uint32_t total = wire_be16(ip + 2);
  if (r->fast == LinkRoute::kLaneNo || total > snap.links[link].mtu) return false;
  // A TCP header within the packet (lane_tcp_ok; else the general path drops it as malformed): tested here, in the
  // pass over the burst's TCP packets, where it goes the same way every time.
  if (tcp && !lane_tcp_ok(ip, total)) return false;
  // The flow's NAT or firewall session (lane_session), looked up before the TTL changes, so a packet left to the
  // general path leaves the lane untouched.
  NatSession* ns = nullptr;
  if (!lane_session(w, snap, link, ip, m->data_len - off, now_tsc, e, &ns)) return false;
  if (pair != nullptr) pair->last_seen_tsc = now_tsc;
  // The tag leaves as lan_send's strip_vlans takes it off: 4 bytes less in front. Its MACs need no move, the
  // rewrite below overwrites all 12 bytes; the inner ethertype stays where it is.
  if (off != kLaneEthLen) {
    rte_pktmbuf_adj(m, kLaneTaggedLen - kLaneEthLen);  // data_off, data_len and pkt_len; cannot fail (length checked)
    p += kLaneTaggedLen - kLaneEthLen;
  }
  e->last_seen_tsc = now_tsc;
  e->packets++;
  e->bytes += m->pkt_len;  // as it leaves: untagged
  // A SYN's MSS, clamped as the general path does (before NAT, so the TCP checksum updates run in the same order):
  // lane_tcp_ok checked the TCP header lies within the packet and the first segment.
  const uint16_t mss_max = snap.links[link].mss_max;
  if (tcp && mss_max != 0 && tcp_is_syn(ip + kLaneIpLen) && tcp_mss_clamp(ip + kLaneIpLen, total - kLaneIpLen, mss_max))
    w.counters.mss_clamped.inc();
  // TTL - 1 (lan_lane_frame checked TTL > 1); with NAT, one header checksum update for both.
  if (ns != nullptr)
    nat_lane_outbound_rewrite(ip, tcp, *ns, snap.links[link].own_ip, nat_ttl_decrement(ip));
  else
    ipv4_ttl_decrement(ip);
  std::memcpy(p, r->eth, sizeof r->eth);
  if (r->how == LinkRoute::kEgress) fill_egress_meta(m, cls, link);
  send_on_route(w, snap, *r, link, m, now_tsc);
  return true;
}

}  // namespace

uint16_t lan_fast_lane(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc,
                       bool received_here) {
  static_assert(kBurst <= 64, "one bit per packet in `rest`");
  const RouteTable& routes = current_routes(w, snap);
  const LaneLinks links = lane_links(w, snap, received_here);
  LaneCandidates c;
  uint64_t rest = lane_candidates(w, snap, links, received_here, pkts, n, c);  // bit i: pkts[i] to the general path
  find_entries(w, snap, routes, links.any_nat, c);
  // Pass B: hits of a fast route are forwarded here, everything else is left as it came. The TCP candidates first,
  // then the UDP ones: an office's TCP and UDP flows arrive in no order a branch predictor learns, and lane_forward
  // tests the protocol (TCP header, session timeout, TCP tracking, MSS, checksum), so in arrival order each of its
  // packets would cost about one misprediction. Each flow is of one protocol and keeps its order.
  const uint16_t generation = flow_generation(snap.policy_generation);
  const uint64_t all = c.n == 64 ? ~uint64_t{0} : (uint64_t{1} << c.n) - 1;
  for (const bool tcp : {true, false}) {
    for (uint64_t b = tcp ? c.tcp : all & ~c.tcp; b != 0; b &= b - 1) {
      const auto j = static_cast<uint16_t>(__builtin_ctzll(b));
      const uint16_t i = c.at[j];
      if (!lane_forward(w, snap, routes, c, j, pkts[i], tcp, generation, now_tsc)) rest |= uint64_t{1} << i;
    }
  }
  // all but those left over and those handed to their owner, which counts them if its lane takes them
  const uint32_t hits = n - static_cast<uint32_t>(__builtin_popcountll(rest)) - c.handed;
  w.counters.flow_hits.add(hits);
  w.counters.fast_lane.add(hits);

  return lane_keep_rest(pkts, rest);
}

}  // namespace wansteer
