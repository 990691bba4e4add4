// Forwarding after parse. LAN->WAN: own-address and local checks, flow cache, classify misses, steer, TTL,
// strip VLAN, rewrite to the link's gateway. WAN->LAN: own-address checks, LAN route, neighbour, TTL, tag.
#include "dataplane/forward.hpp"

#include <cstring>

#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "dataplane/classify.hpp"
#include "dataplane/egress.hpp"
#include "dataplane/flow_cache.hpp"
#include "dataplane/probe_ids.hpp"
#include "dataplane/rx_timestamp.hpp"

namespace wansteer {

namespace {

inline uint32_t ipv4_of(const std::array<uint8_t, 16>& a) {
  uint32_t be;
  std::memcpy(&be, a.data(), 4);
  return rte_be_to_cpu_32(be);
}

inline int lan_subnet_of(const DataplaneSnapshot& s, uint32_t ip) {
  for (uint8_t i = 0; i < s.n_lan; i++)
    if ((ip & s.lan[i].mask) == s.lan[i].network) return i;
  return -1;
}

inline bool is_own_lan_ip(const DataplaneSnapshot& s, uint32_t ip) {
  for (uint8_t i = 0; i < s.n_lan; i++)
    if (s.lan[i].own_ip == ip) return true;
  return false;
}

inline void set_macs(rte_mbuf* m, const rte_ether_addr& dst, const rte_ether_addr& src) {
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  rte_ether_addr_copy(&dst, &eth->dst_addr);
  rte_ether_addr_copy(&src, &eth->src_addr);
}

inline bool decrement_hops(rte_mbuf* m, const PacketMeta* meta) {
  return meta->l3 == static_cast<uint8_t>(L3::ipv4) ? ipv4_decrement_ttl(m, meta->l3_offset)
                                                    : ipv6_decrement_hop_limit(m, meta->l3_offset);
}

// Addresses that a router never forwards off the LAN (multicast, limited broadcast, link-local).
inline bool not_routable_v4(uint32_t dst) { return dst >= 0xE0000000u; }
inline bool not_routable_v6(const std::array<uint8_t, 16>& d) {
  return d[0] == 0xff || (d[0] == 0xfe && (d[1] & 0xc0) == 0x80);
}

// A reply to one of control's probes: ICMP echo reply, or UDP from a STAMP reflector to a probe port.
// The link for a cached flow (or host pair): its own while the plan lets it stay there, else a new pick. With
// nothing usable the entry keeps its link, so the flow resumes where it was when a link returns.
inline uint8_t steer_cached(const ClassSteering& cs, FlowEntry* e, uint32_t hash, WorkerCounters& c) {
  if (cs.may_stay(e->link)) return e->link;
  uint8_t link = cs.pick(hash);
  if (link == kNoLink) return kNoLink;
  if (e->link != kNoLink && e->link != link) c.flow_moves.inc();
  e->link = link;
  return link;
}

inline bool is_probe_reply(const PacketMeta* meta) {
  if (meta->flags & PacketMeta::kFlagFragment) return false;
  if (meta->proto == IPPROTO_ICMP) return meta->icmp_type == RTE_IP_ICMP_ECHO_REPLY;
  return meta->proto == IPPROTO_UDP && is_probe_port(meta->dport);
}

}  // namespace

void strip_vlans(rte_mbuf* m, PacketMeta* meta) {
  if (meta->vlan_count == 0) return;
  uint16_t shift = static_cast<uint16_t>(4 * meta->vlan_count);
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  std::memmove(p + shift, p, 2 * RTE_ETHER_ADDR_LEN);  // MACs move up; the inner ethertype stays in place
  rte_pktmbuf_adj(m, shift);
  meta->l3_offset = static_cast<uint16_t>(meta->l3_offset - shift);
  if (meta->l4_offset != 0) meta->l4_offset = static_cast<uint16_t>(meta->l4_offset - shift);
  meta->vlan_count = 0;
}

bool push_vlan(rte_mbuf* m, PacketMeta* meta, uint16_t vlan) {
  uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
  if (p == nullptr) return false;
  std::memmove(p, p + 4, 2 * RTE_ETHER_ADDR_LEN);
  uint16_t tpid = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
  uint16_t tci = rte_cpu_to_be_16(vlan & 0xfff);
  std::memcpy(p + 12, &tpid, 2);
  std::memcpy(p + 14, &tci, 2);
  meta->l3_offset = static_cast<uint16_t>(meta->l3_offset + 4);
  if (meta->l4_offset != 0) meta->l4_offset = static_cast<uint16_t>(meta->l4_offset + 4);
  meta->vlan_count = 1;
  return true;
}

bool icmp_echo_reply_in_place(rte_mbuf* m, PacketMeta* meta, const rte_ether_addr& our_mac) {
  if (meta->l3 != static_cast<uint8_t>(L3::ipv4) || meta->proto != IPPROTO_ICMP ||
      meta->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || (meta->flags & PacketMeta::kFlagFragment) || meta->l4_offset == 0)
    return false;
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, meta->l3_offset);
  auto* icmp = rte_pktmbuf_mtod_offset(m, rte_icmp_hdr*, meta->l4_offset);
  uint16_t icmp_len = static_cast<uint16_t>(meta->l3_len - (meta->l4_offset - meta->l3_offset));
  if (icmp_len < sizeof(rte_icmp_hdr)) return false;
  const rte_be32_t ip_src = ip->src_addr;  // packed fields: no std::swap
  ip->src_addr = ip->dst_addr;
  ip->dst_addr = ip_src;
  ip->time_to_live = 64;
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, icmp_len));
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
  rte_ether_addr_copy(&our_mac, &eth->src_addr);
  std::swap(meta->src, meta->dst);
  return true;
}

// For classes with stick_by host-pair: looks up (or creates) one cache entry per (src, dst) pair, keyed with
// ports and protocol zero and a marker, and takes the link from it, so SIP and RTP of one call share a link.
static void steer_host_pairs(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n,
                             uint64_t now_tsc) {
  // Most policies steer every class per flow: then there is nothing to do (and no pass over the burst).
  bool any = false;
  for (uint32_t cls = 0; cls < kMaxClasses; cls++) any |= snap.steering.cls[cls].by_host_pair;
  if (!any) return;
  FlowKey keys[kBurst];
  uint32_t hashes[kBurst];
  FlowEntry* entry[kBurst];
  PacketMeta* metas[kBurst];
  uint16_t np = 0;
  for (uint16_t i = 0; i < n; i++) {
    PacketMeta* meta = meta_of(pkts[i]);
    if (!snap.steering.cls[meta->class_id].by_host_pair) continue;
    FlowKey& k = keys[np];
    std::memcpy(k.src, meta->src.data(), 16);
    std::memcpy(k.dst, meta->dst.data(), 16);
    k.sport = k.dport = k.vlan = 0;
    k.proto = 0;
    k.l3 = meta->l3 | FlowKey::kHostPair;  // marks a host-pair key: no 5-tuple key has it
    hashes[np] = rte_hash_crc(&k, sizeof k, 0x9e3779b9u);
    metas[np++] = meta;
  }
  if (np == 0) return;
  w.flows->lookup_burst(keys, hashes, np, entry);
  WorkerCounters& c = w.counters;
  for (uint16_t j = 0; j < np; j++) {
    PacketMeta* meta = metas[j];
    const ClassSteering& cs = snap.steering.cls[meta->class_id];
    FlowEntry* e = entry[j];
    if (e != nullptr && e->policy_generation == flow_generation(snap.policy_generation) &&
        e->class_id == meta->class_id && now_tsc - e->last_seen_tsc <= snap.flow_idle_tsc) {
      meta->link = steer_cached(cs, e, hashes[j], c);
    } else {
      if (e == nullptr) e = w.flows->insert(keys[j], hashes[j], c);
      meta->link = cs.pick(hashes[j]);
      if (e != nullptr) {
        e->class_id = meta->class_id;
        e->link = meta->link;
        e->policy_generation = flow_generation(snap.policy_generation);
      }
    }
    if (e != nullptr) e->last_seen_tsc = now_tsc;
  }
}

void forward_lan_burst(WorkerContext& w, const DataplaneSnapshot& snap, rte_mbuf** pkts, uint16_t n, uint64_t now_tsc) {
  WorkerCounters& c = w.counters;
  rte_mbuf* steer[kBurst];
  uint16_t ns = 0;

  // 1. What is not transit traffic: ARP, packets for the edge itself, LAN-local and non-routable ones.
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    PacketMeta* meta = meta_of(m);
    if (meta->l3 == static_cast<uint8_t>(L3::arp)) {
      hand_to_control(w, m, 0, PacketMeta::kToControlArp);
      continue;
    }
    if (meta->l3 == static_cast<uint8_t>(L3::ipv4)) {
      uint32_t dst = ipv4_of(meta->dst);
      if (is_own_lan_ip(snap, dst)) {
        if (icmp_echo_reply_in_place(m, meta, snap.lan_mac)) {
          c.icmp_echo_replies_sent.inc();
          tx_enqueue(w, 0, m);
        } else {
          drop_packet(w, m, 0, DropReason::not_for_us);
        }
        continue;
      }
      if (not_routable_v4(dst)) {
        drop_packet(w, m, 0, DropReason::no_route);
        continue;
      }
      if (lan_subnet_of(snap, dst) >= 0) {
        drop_packet(w, m, 0, DropReason::lan_hairpin);
        continue;
      }
    } else if (not_routable_v6(meta->dst)) {
      drop_packet(w, m, 0, DropReason::no_route);
      continue;
    }
    // Start loading the flow's cache line now: stage 1 and the key building below hide most of the miss.
    w.flows->prefetch(meta->flow_hash);
    steer[ns++] = m;
  }
  if (ns == 0) return;

  // 2. Flow cache: hits keep their class and link; misses are classified together in one ACL call.
  // Looked up straight from the metadata; a FlowKey is built only for the (rare) misses that are inserted.
  const PacketMeta* steer_meta[kBurst];
  FlowEntry* entry[kBurst];
  for (uint16_t i = 0; i < ns; i++) steer_meta[i] = meta_of(steer[i]);
  w.flows->lookup_burst(steer_meta, ns, entry);

  PacketMeta* miss_meta[kBurst];
  uint16_t miss_idx[kBurst];
  uint16_t nm = 0;
  for (uint16_t i = 0; i < ns; i++) {
    FlowEntry* e = entry[i];
    PacketMeta* meta = meta_of(steer[i]);
    if (e != nullptr && e->policy_generation == flow_generation(snap.policy_generation) &&
        now_tsc - e->last_seen_tsc <= snap.flow_idle_tsc) {
      meta->class_id = e->class_id;
      meta->link = steer_cached(snap.steering.cls[e->class_id], e, meta->flow_hash, c);
      e->last_seen_tsc = now_tsc;
    } else {
      if (e != nullptr && e->policy_generation == flow_generation(snap.policy_generation)) c.flow_expired.inc();
      c.flow_misses.inc();
      miss_meta[nm] = meta;
      miss_idx[nm++] = i;
    }
  }
  // Every packet in steer[] either hit or missed: one add for the hits instead of a load+store per packet.
  c.flow_hits.add(ns - nm);
  if (nm != 0) {
    snap.classifier->classify_burst(miss_meta, nm);
    for (uint16_t j = 0; j < nm; j++) {
      uint16_t i = miss_idx[j];
      PacketMeta* meta = miss_meta[j];
      meta->link = snap.steering.cls[meta->class_id].pick(meta->flow_hash);
      FlowEntry* e = entry[i];
      if (e == nullptr) {
        FlowKey key;
        flow_key_from_meta(*meta, &key);
        e = w.flows->insert(key, meta->flow_hash, c);
        // A later packet of the same flow in this burst missed too: it finds this entry next burst.
      } else {
        e->packets = 0;  // an expired or older-policy entry starts over as a new flow
        e->bytes = 0;
      }
      entry[i] = e;
      if (e != nullptr) {
        e->class_id = meta->class_id;
        e->link = meta->link;
        e->policy_generation = flow_generation(snap.policy_generation);
        e->last_seen_tsc = now_tsc;
      }
    }
  }

  // 2b. Classes steered per host pair: the pair's own cache entry decides the link for all its flows.
  steer_host_pairs(w, snap, steer, ns, now_tsc);

  // 3. Send: TTL, VLAN strip, Ethernet rewrite to the link's next hop.
  for (uint16_t i = 0; i < ns; i++) {
    rte_mbuf* m = steer[i];
    PacketMeta* meta = meta_of(m);
    uint8_t link = meta->link;
    if (link == kNoLink || link >= snap.n_links) {
      c.class_no_link[meta->class_id].inc();
      drop_packet(w, m, 0, DropReason::no_usable_link);
      continue;
    }
    const LinkConfig& L = snap.links[link];
    if (!L.gateway_resolved) {
      drop_packet(w, m, 0, DropReason::no_neighbor);
      continue;
    }
    if (!decrement_hops(m, meta)) {
      drop_packet(w, m, 0, DropReason::ttl_expired);
      continue;
    }
    strip_vlans(m, meta);
    set_macs(m, L.gateway_mac, L.own_mac);
    ClassLinkCounters& cl = c.class_link[meta->class_id][link];
    cl.packets.inc();
    cl.bytes.add(m->pkt_len);
    if (FlowEntry* e = entry[i]) {  // the worker's own entry: plain adds
      e->packets++;
      e->bytes += m->pkt_len;
    }
    egress_submit(w, snap, link, m, now_tsc);  // meter, then the link's shaper (or its owner core)
  }
}

void forward_wan_burst(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf** pkts, uint16_t n,
                       uint64_t now_tsc) {
  const uint8_t pi = static_cast<uint8_t>(link + 1);
  const LinkConfig& L = snap.links[link];
  const NeighborTable* nt = snap.neighbors.get();
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    PacketMeta* meta = meta_of(m);
    if (meta->l3 == static_cast<uint8_t>(L3::arp)) {
      hand_to_control(w, m, pi, PacketMeta::kToControlArp);
      continue;
    }
    if (meta->l3 != static_cast<uint8_t>(L3::ipv4)) {  // no IPv6 routing towards the LAN yet
      drop_packet(w, m, pi, DropReason::no_route);
      continue;
    }
    uint32_t dst = ipv4_of(meta->dst);
    if (dst == L.own_ip) {
      if (is_probe_reply(meta)) {
        set_rx_tsc(m, now_tsc);
        hand_to_control(w, m, pi, PacketMeta::kToControlProbe);
        continue;
      }
      if (icmp_echo_reply_in_place(m, meta, L.own_mac)) {
        w.counters.icmp_echo_replies_sent.inc();
        tx_enqueue(w, pi, m);
      } else {
        drop_packet(w, m, pi, DropReason::not_for_us);
      }
      continue;
    }
    int subnet = lan_subnet_of(snap, dst);
    if (subnet < 0 || dst == snap.lan[subnet].own_ip) {
      drop_packet(w, m, pi, DropReason::no_route);
      continue;
    }
    if (lan_subnet_of(snap, ipv4_of(meta->src)) >= 0) {  // spoofed: our LAN's addresses never come from a WAN
      drop_packet(w, m, pi, DropReason::martian_source);
      continue;
    }
    void* data = nullptr;
    if (nt == nullptr || nt->by_ip == nullptr || rte_hash_lookup_data(nt->by_ip, &dst, &data) < 0) {
      hand_to_control(w, m, pi, PacketMeta::kToControlResolve);  // control ARPs for it and counts the drop
      continue;
    }
    const NeighborTable::Entry& ne = nt->entries[reinterpret_cast<uintptr_t>(data)];
    if (!decrement_hops(m, meta)) {
      drop_packet(w, m, pi, DropReason::ttl_expired);
      continue;
    }
    strip_vlans(m, meta);
    uint16_t vlan = snap.lan[ne.subnet].vlan;
    if (vlan != 0 && !push_vlan(m, meta, vlan)) {
      drop_packet(w, m, pi, DropReason::tx_full);
      continue;
    }
    set_macs(m, ne.mac, snap.lan_mac);
    tx_enqueue(w, 0, m);
  }
}

}  // namespace wansteer
