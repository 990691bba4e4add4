// LAN fast lane (see fast_lane.hpp): pass A checks frames, builds flow keys and prefetches their cache lines; pass
// B looks them up and forwards the hits the general path would forward unchanged, through the same route table,
// liveness test, TTL update and counting (route_send.hpp, cached_flow.hpp, hop_limit.hpp). The rest goes there.
#include "dataplane/fast_lane.hpp"

#include <bit>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_prefetch.h>

#include "dataplane/cached_flow.hpp"
#include "dataplane/flow_cache.hpp"
#include "dataplane/hop_limit.hpp"
#include "dataplane/lan_subnets.hpp"
#include "dataplane/lane_frame.hpp"
#include "dataplane/nat_outbound.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/route_send.hpp"
#include "dataplane/routed_firewall.hpp"
#include "dataplane/tcp_mss.hpp"

namespace wansteer {
namespace {

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// The IPv4 source address, host order. By memcpy: the IP header sits 2 bytes off a 4-byte boundary (after 14 bytes
// of Ethernet), where a uint32_t load is undefined behaviour (UBSan, found by fuzz_worker); on x86 it is one load.
inline uint32_t ipv4_source(const uint8_t* ip) {
  uint32_t be;
  std::memcpy(&be, ip + 12, 4);
  return rte_be_to_cpu_32(be);
}

// PacketMeta as parse_packet writes it for such a frame, plus class and link: only needed when egress meters,
// queues or hands the packet to another core. Called after the rewrite (TTL already decremented).
inline void fill_meta(rte_mbuf* m, const uint8_t* ip, uint32_t hash, uint8_t cls, uint8_t link) {
  PacketMeta* meta = meta_of(m);
  std::memset(meta, 0, sizeof(*meta));
  std::memcpy(meta->src.data(), ip + 12, 4);
  std::memcpy(meta->dst.data(), ip + 16, 4);
  meta->sport = be16(ip + kLaneIpLen);
  meta->dport = be16(ip + kLaneIpLen + 2);
  meta->l3_offset = kLaneEthLen;
  meta->l4_offset = kLaneEthLen + kLaneIpLen;
  meta->l3_len = be16(ip + 2);
  meta->l3 = static_cast<uint8_t>(L3::ipv4);
  meta->proto = ip[9];
  meta->dscp = ip[1] >> 2;
  if (be16(ip + 6) & 0x2000) meta->flags = PacketMeta::kFlagFragment;  // a first fragment
  meta->port = 0;
  meta->class_id = cls;
  meta->link = link;
  meta->flow_hash = hash;
}

// The flow's NAT session (*ns) or, on a routed link, its firewall session, looked up and refreshed as the general
// path does; a NAT session through the flow's hint (FlowCache::nat_hint), so a cached flow needs no hash lookup.
// False: the general path's (a session not made yet or expired, or one another worker owns).
inline bool lane_session(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t* ip, uint32_t seg_left,
                         uint64_t now_tsc, uint32_t* nat_hint, NatSession** ns) {
  if (snap.links[link].nat)
    return nat_outbound_session(w, snap, link, ip, seg_left, false, now_tsc, ns, nat_hint) == NatOut::ok;
  if (!snap.links[link].firewall) return true;
  uint16_t owner = 0;
  const FwOut f = firewall_outbound(w, snap, link, ip, seg_left, false, now_tsc, &owner);
  return f == FwOut::ok || f == FwOut::untracked;  // untracked: no session table (tests)
}

// True when a link translates (and the worker has a NAT table): only then are the hints' lines worth loading.
inline bool has_nat_link(const WorkerContext& w, const DataplaneSnapshot& snap) {
  bool any = false;
  for (uint8_t l = 0; l < snap.n_links; l++) any |= snap.links[l].nat;
  return any && w.nat != nullptr;
}

// Each key's entry (nullptr: a miss); the NAT session a NAT flow's hint names starts loading while the others are
// found, so pass B finds it in cache.
inline void find_entries(WorkerContext& w, const DataplaneSnapshot& snap, bool any_nat, const FlowKey4* keys,
                         const uint32_t* hashes, uint16_t nc, FlowEntry** ents) {
  FlowCache* flows = w.flows.get();
  for (uint16_t j = 0; j < nc; j++) {
    FlowEntry* e = flows->find(keys[j], hashes[j]);
    ents[j] = e;
    if (any_nat && e != nullptr && e->link < kMaxLinks && snap.links[e->link].nat)
      w.nat->prefetch_hinted(flows->nat_hint(e));
  }
}

}  // namespace

uint16_t lan_fast_lane(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
  FlowCache* flows = w.flows.get();
  static_assert(kBurst <= 64, "one bit per packet in `rest`");
  uint64_t rest = 0;  // bit i: pkts[i] goes to the general path

  const RouteTable& routes = current_routes(w, snap);
  const bool any_nat = has_nat_link(w, snap);

  // Pass A: the frame checks, the flow key and hash; the key's home slot starts loading at once.
  FlowKey4 keys[kBurst];
  uint32_t hashes[kBurst];
  uint8_t* frame[kBurst];
  uint8_t at[kBurst];  // candidate j is pkts[at[j]]
  uint16_t nc = 0;
  uint64_t rx_bytes = 0;
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
    rx_bytes += m->pkt_len;
    const uint8_t* ip = p + kLaneEthLen;
    // Admission depends on the frame, not only its flow: a cached flow's 5-tuple sent to another MAC, or untagged
    // with a source of a tagged subnet, goes to the general path, which drops it with its reason.
    if (!lane_frame_ok(m, p) || std::memcmp(p, snap.lan_mac.addr_bytes, RTE_ETHER_ADDR_LEN) != 0 ||
        !lan_source_admitted(snap, 0, ipv4_source(ip))) {
      rest |= uint64_t{1} << i;
      continue;
    }
    uint64_t addrs;
    uint32_t ports_be;  // source and destination port as on the wire
    std::memcpy(&addrs, ip + 12, 8);
    std::memcpy(&ports_be, ip + kLaneIpLen, 4);
    const uint8_t proto = ip[9];
    // Host-order ports as FlowKey keeps them (sport in the low half): each 16-bit half byte-swapped.
    const uint32_t ports = std::rotr(rte_bswap32(ports_be), 16);
    const uint64_t tail = FlowKey4::tail_of(ports, proto);
    keys[nc] = FlowKey4{addrs, tail};
    hashes[nc] = ipv4_flow_hash(addrs, tail);
    flows->prefetch(hashes[nc]);
    if (any_nat) flows->prefetch_nat_hint(hashes[nc]);
    frame[nc] = p;
    at[nc++] = static_cast<uint8_t>(i);
  }
  w.counters.port[0].rx_packets.add(n);
  w.counters.port[0].rx_bytes.add(rx_bytes);

  FlowEntry* ents[kBurst];
  find_entries(w, snap, any_nat, keys, hashes, nc, ents);

  // Pass B: hits of a fast route are forwarded here, everything else is left as it came.
  const uint16_t generation = flow_generation(snap.policy_generation);
  const uint64_t idle = snap.flow_idle_tsc;
  for (uint16_t j = 0; j < nc; j++) {
    const uint16_t i = at[j];
    FlowEntry* e = ents[j];
    // A miss, an expired or older-policy entry (classified again), a flow that must move, a host-pair class or a
    // link without a next hop: all the general path's. The same tests it makes, from the same route table.
    if (e == nullptr || !flow_entry_current(*e, generation, now_tsc, idle) || e->link >= kMaxLinks) {
      rest |= uint64_t{1} << i;
      continue;
    }
    const uint8_t cls = e->class_id & (kMaxClasses - 1), link = e->link;
    const LinkRoute r = routes.route[cls][link];  // a copy: read before the frame is written (bytes alias anything)
    rte_mbuf* m = pkts[i];
    uint8_t* p = frame[j];
    uint8_t* ip = p + kLaneEthLen;
    // Over the link's MTU (one compare): the general path drops it and tells the sender (fragmentation needed).
    if (!r.fast || be16(ip + 2) > snap.links[link].mtu) {
      rest |= uint64_t{1} << i;
      continue;
    }
    // The flow's NAT or firewall session (lane_session), looked up before the TTL changes, so a packet left to the
    // general path leaves the lane untouched.
    NatSession* ns = nullptr;
    if (!lane_session(w, snap, link, ip, m->data_len - kLaneEthLen, now_tsc, &flows->nat_hint(e), &ns)) {
      rest |= uint64_t{1} << i;
      continue;
    }
    e->last_seen_tsc = now_tsc;
    e->packets++;
    e->bytes += m->pkt_len;
    ipv4_ttl_decrement(ip);  // fast_candidate checked TTL > 1
    // A SYN's MSS, clamped as the general path does (before NAT, so the checksum updates run in the same order):
    // fast_candidate checked the TCP header lies within the packet and the first segment.
    const uint16_t mss_max = snap.links[link].mss_max;
    if (ip[9] == kLaneProtoTcp && mss_max != 0 && tcp_is_syn(ip + kLaneIpLen) &&
        tcp_mss_clamp(ip + kLaneIpLen, be16(ip + 2) - kLaneIpLen, mss_max))
      w.counters.mss_clamped.inc();
    if (ns != nullptr) nat_outbound_rewrite(ip, *ns, snap.links[link].own_ip);
    std::memcpy(p, r.eth, sizeof r.eth);
    if (r.how == LinkRoute::kEgress) fill_meta(m, ip, hashes[j], cls, link);
    send_on_route(w, snap, r, link, m, now_tsc);
  }
  const uint32_t hits = n - static_cast<uint32_t>(__builtin_popcountll(rest));  // all but those left over
  w.counters.flow_hits.add(hits);
  w.counters.fast_lane.add(hits);

  return lane_keep_rest(pkts, rest);
}

}  // namespace wansteer
