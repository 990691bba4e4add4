// Neighbours: ARP answers, LAN learning, gateway resolution and next-hop requests (control thread).
#include "control/runtime/neighbours.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>

#include <fmt/format.h>
#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>

#include "dataplane/frame_edit.hpp"
#include "dataplane/packet_meta.hpp"

namespace wansteer {

namespace {
rte_ether_addr to_ether(const MacAddress& m) {
  rte_ether_addr a;
  std::memcpy(a.addr_bytes, m.data(), 6);
  return a;
}
}  // namespace

Neighbours::Neighbours(const Policy& policy, rte_mempool* pool, const rte_ether_addr& lan_mac,
                       const rte_ether_addr* link_macs, uint64_t hz, SendFn send)
    : policy_(policy),
      pool_(pool),
      lan_mac_(lan_mac),
      link_macs_(link_macs),
      ms_(hz / 1000),
      send_(std::move(send)),
      hold_(hz / 1000) {
  apply_static_gateways();
  apply_lan_policy();
}

int Neighbours::subnet_of(uint32_t ip) const {
  for (size_t s = 0; s < policy_.lan.subnets.size(); s++) {
    const auto& sub = policy_.lan.subnets[s].address;
    if ((ip & sub.mask()) == sub.network()) return static_cast<int>(s);
  }
  return -1;
}

bool Neighbours::apply_lan_policy() {
  const auto static_mac = [&](uint32_t ip) -> std::optional<rte_ether_addr> {
    for (const auto& n : policy_.lan.neighbors)
      if (n.ip == ip) return to_ether(n.mac);
    return std::nullopt;
  };
  bool changed = false;
  for (auto it = lan_.begin(); it != lan_.end();) {
    const int s = subnet_of(it->first);
    bool keep = s >= 0 && policy_.lan.subnets[s].vlan == it->second.vlan;
    if (keep && it->second.fixed) {
      const auto mac = static_mac(it->first);
      keep = mac && rte_is_same_ether_addr(&*mac, &it->second.mac);
    }
    if (!keep) {
      it = lan_.erase(it);
      changed = true;
      continue;
    }
    changed = changed || it->second.subnet != s;
    it->second.subnet = static_cast<uint8_t>(s);
    ++it;
  }
  for (const auto& n : policy_.lan.neighbors) {
    const int s = subnet_of(n.ip);
    if (s < 0) continue;  // the policy check keeps static entries inside a subnet
    const auto it = lan_.find(n.ip);
    if (it != lan_.end() && it->second.fixed) continue;  // kept above: the same MAC, subnet and tag
    lan_[n.ip] = Entry{to_ether(n.mac), static_cast<uint8_t>(s), policy_.lan.subnets[s].vlan, true};
    changed = true;
  }
  // Packets held for a host no subnet holds any more can never be sent: dropped now, not after their 3 s. (A host
  // whose subnet was retagged is asked for again on its new VLAN, and its packets leave with the new tag.)
  for (const uint32_t ip : hold_.hosts()) {
    if (subnet_of(ip) >= 0) continue;
    for (rte_mbuf* m : hold_.release(ip)) {
      no_neighbor_drops_++;
      rte_pktmbuf_free(m);
    }
  }
  for (auto it = asked_.begin(); it != asked_.end();) it = subnet_of(it->first) < 0 ? asked_.erase(it) : std::next(it);
  return changed;
}

void Neighbours::apply_static_gateways() {
  for (size_t l = 0; l < policy_.links.size(); l++) {
    if (policy_.links[l].gateway_mac) {
      gw_.mac[l] = to_ether(*policy_.links[l].gateway_mac);
      gw_.resolved[l] = true;
    }
  }
}

void Neighbours::send_request(uint8_t pi, uint16_t vlan, const rte_ether_addr& our_mac, uint32_t our_ip,
                              uint32_t target_ip) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return;
  uint16_t hdr = vlan ? sizeof(rte_ether_hdr) + sizeof(rte_vlan_hdr) : sizeof(rte_ether_hdr);
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, hdr + sizeof(rte_arp_hdr)));
  auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
  std::memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
  rte_ether_addr_copy(&our_mac, &eth->src_addr);
  if (vlan) {
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
    auto* vh = reinterpret_cast<rte_vlan_hdr*>(eth + 1);
    vh->vlan_tci = rte_cpu_to_be_16(vlan);
    vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  } else {
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
  }
  auto* arp = reinterpret_cast<rte_arp_hdr*>(p + hdr);
  arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = RTE_ETHER_ADDR_LEN;
  arp->arp_plen = 4;
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  rte_ether_addr_copy(&our_mac, &arp->arp_data.arp_sha);
  arp->arp_data.arp_sip = rte_cpu_to_be_32(our_ip);
  std::memset(&arp->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
  arp->arp_data.arp_tip = rte_cpu_to_be_32(target_ip);
  arp_requests_++;
  send_(m, pi);
}

// Learns (or refreshes) a LAN sender, as a Linux router would from any ARP it sees for its subnet; true when the
// target is one of our LAN addresses (*our_ip set). *changed: the table must be rebuilt.
bool Neighbours::learn_lan(uint16_t vlan, uint32_t sip, const rte_ether_addr& sha, uint32_t tip, uint32_t* our_ip,
                           bool* changed) {
  bool for_us = false;
  for (size_t s = 0; s < policy_.lan.subnets.size(); s++) {
    const auto& sub = policy_.lan.subnets[s];
    if (sub.vlan != vlan) continue;
    if ((sip & sub.address.mask()) == sub.address.network() && sip != sub.address.addr) {
      auto it = lan_.find(sip);
      if (it == lan_.end() || !rte_is_same_ether_addr(&it->second.mac, &sha) || it->second.subnet != s) {
        lan_[sip] = Entry{sha, static_cast<uint8_t>(s), vlan, false};
        *changed = true;
      }
    }
    if (tip == sub.address.addr) {
      for_us = true;
      *our_ip = sub.address.addr;
    }
  }
  return for_us;
}

// A dynamic gateway's ARP (request or reply) tells its MAC; true when that is news.
bool Neighbours::learn_gateway(size_t l, uint32_t sip, const rte_ether_addr& sha) {
  const LinkSpec& ls = policy_.links[l];
  if (sip != ls.gateway || ls.gateway_mac) return false;
  if (gw_.resolved[l] && rte_is_same_ether_addr(&gw_.mac[l], &sha)) return false;
  gw_.mac[l] = sha;
  gw_.resolved[l] = true;
  return true;
}

bool Neighbours::is_own_mac(const rte_ether_addr& mac) const {
  if (rte_is_same_ether_addr(&mac, &lan_mac_)) return true;
  for (size_t l = 0; l < policy_.links.size(); l++)
    if (rte_is_same_ether_addr(&mac, &link_macs_[l])) return true;
  return false;
}

bool Neighbours::is_own_ip(uint32_t ip) const {
  for (const auto& sub : policy_.lan.subnets)
    if (sub.address.addr == ip) return true;
  for (const auto& ls : policy_.links)
    if (ls.address.addr == ip) return true;
  return false;
}

Neighbours::ArpFacts Neighbours::on_arp(rte_mbuf* m, uint64_t /*now*/) {
  ArpFacts facts;
  PacketMeta* meta = meta_of(m);
  const uint8_t pi = meta->port;
  auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, meta->l3_offset);
  if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 || arp->arp_plen != 4) {
    rte_pktmbuf_free(m);
    return facts;
  }
  const uint32_t sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
  const uint32_t tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
  const bool request = arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  const rte_ether_addr& sha = arp->arp_data.arp_sha;
  // A sender claiming the edge's MAC (a reflection or a spoof) or a group MAC (no host has one) teaches nothing
  // and gets no answer: learning it would send LAN traffic back to ourselves or to every host.
  if (is_own_mac(sha) || !rte_is_unicast_ether_addr(&sha) || rte_is_zero_ether_addr(&sha)) {
    arp_ignored_++;
    rte_pktmbuf_free(m);
    return facts;
  }
  // Someone else claims one of our addresses (a conflict, or a host trying to take our traffic): never learned,
  // never answered, reported.
  if (is_own_ip(sip)) {
    arp_ignored_++;
    facts.conflict = true;
    facts.conflict_ip = sip;
    facts.conflict_mac = sha;
    rte_pktmbuf_free(m);
    return facts;
  }
  // A static neighbour's address claimed with another MAC: the policy's entry stands (as a permanent entry does in a
  // host's ARP cache), and the operator hears of it.
  if (const auto it = lan_.find(sip);
      pi == 0 && it != lan_.end() && it->second.fixed && !rte_is_same_ether_addr(&it->second.mac, &sha)) {
    arp_ignored_++;
    facts.conflict = facts.conflict_static = true;
    facts.conflict_ip = sip;
    facts.conflict_mac = sha;
    rte_pktmbuf_free(m);
    return facts;
  }
  rte_ether_addr our_mac{};
  uint32_t our_ip = 0;
  bool for_us = false;
  if (pi == 0) {
    for_us = learn_lan(meta->vlan, sip, arp->arp_data.arp_sha, tip, &our_ip, &facts.neighbours_changed);
    our_mac = lan_mac_;
    if (const auto it = lan_.find(sip); it != lan_.end())
      for (rte_mbuf* held : hold_.release(sip)) send_to_host(held, it->second);
  } else if (pi <= policy_.links.size()) {
    const size_t l = pi - 1u;
    facts.gateway_changed = learn_gateway(l, sip, arp->arp_data.arp_sha);
    if (tip == policy_.links[l].address.addr) {
      for_us = true;
      our_ip = policy_.links[l].address.addr;
      our_mac = link_macs_[l];
    }
  }
  if (!(request && for_us)) {
    rte_pktmbuf_free(m);
    return facts;
  }
  // Turn the request into our reply in place (VLAN tag, if any, stays as it came).
  auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
  rte_ether_addr_copy(&our_mac, &eth->src_addr);
  arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
  arp->arp_data.arp_tha = arp->arp_data.arp_sha;
  arp->arp_data.arp_tip = arp->arp_data.arp_sip;
  rte_ether_addr_copy(&our_mac, &arp->arp_data.arp_sha);
  arp->arp_data.arp_sip = rte_cpu_to_be_32(our_ip);
  arp_replies_++;
  send_(m, pi);
  return facts;
}

void Neighbours::on_unresolved(rte_mbuf* m, uint64_t now) {
  uint32_t be;
  std::memcpy(&be, meta_of(m)->dst.data(), 4);
  const uint32_t dst = rte_be_to_cpu_32(be);
  if (const auto it = lan_.find(dst); it != lan_.end()) {
    send_to_host(m, it->second);  // learned here, not yet in the table the worker read
    return;
  }
  if (!hold_.hold(dst, m, now)) {
    no_neighbor_drops_++;
    rte_pktmbuf_free(m);
  }
  ask_lan(dst, now);
}

void Neighbours::tick_held(uint64_t now) {
  forget_old_asks(now);
  if (hold_.size() == 0) return;
  no_neighbor_drops_ += hold_.expire(now);
  for (const uint32_t ip : hold_.hosts()) ask_lan(ip, now);
}

// A request older than the retry time limits nothing (ask_lan would send again), so its entry goes: asked_ holds
// only the targets of the last second, not every address ever asked for. One pass per retry time.
void Neighbours::forget_old_asks(uint64_t now) {
  const uint64_t retry = kNeighborRetryMs * ms_;
  if (now - asks_swept_ < retry) return;
  asks_swept_ = now;
  for (auto it = asked_.begin(); it != asked_.end();) it = now - it->second >= retry ? asked_.erase(it) : std::next(it);
}

// An ARP request for LAN host `ip` from the edge's address in its subnet, at most once per kNeighborRetryMs.
void Neighbours::ask_lan(uint32_t ip, uint64_t now) {
  uint64_t& asked = asked_[ip];
  if (asked != 0 && now - asked < kNeighborRetryMs * ms_) return;
  asked = now;
  if (const int s = subnet_of(ip); s >= 0) {
    const auto& sub = policy_.lan.subnets[s];
    send_request(0, sub.vlan, lan_mac_, sub.address.addr, ip);
  }
}

// What lan_deliver does in a worker, for a packet control held: the subnet's tag, the host's MAC, out the LAN port.
void Neighbours::send_to_host(rte_mbuf* m, const Entry& e) {
  if (e.subnet >= policy_.lan.subnets.size() ||
      !address_to_lan_host(m, meta_of(m), e.mac, lan_mac_, policy_.lan.subnets[e.subnet].vlan)) {
    no_neighbor_drops_++;
    rte_pktmbuf_free(m);
    return;
  }
  held_sent_++;
  send_(m, 0);
}

std::vector<Neighbours::Row> Neighbours::rows() const {
  std::vector<Row> out;
  for (const auto& [ip, e] : lan_) out.push_back(Row{ip, e.mac, e.vlan, e.fixed, true, 0});
  for (const uint32_t ip : hold_.hosts()) {
    if (lan_.count(ip) != 0) continue;  // not while held: learning a host sends its packets
    const int s = subnet_of(ip);
    out.push_back(Row{ip, {}, s >= 0 ? policy_.lan.subnets[s].vlan : uint16_t{0}, false, false, hold_.held_for(ip)});
  }
  std::sort(out.begin(), out.end(), [](const Row& a, const Row& b) { return a.ip < b.ip; });
  return out;
}

void Neighbours::refresh_gateways(uint64_t now) {
  for (size_t l = 0; l < policy_.links.size(); l++) {
    const LinkSpec& ls = policy_.links[l];
    if (ls.gateway_mac || ls.gateway == 0) continue;  // 0: a DHCP link without a lease yet
    const uint64_t every = (gw_.resolved[l] ? kGatewayRefreshMs : kGatewayRetryMs) * ms_;
    if (gw_asked_[l] != 0 && now - gw_asked_[l] < every) continue;
    gw_asked_[l] = now;
    send_request(static_cast<uint8_t>(l + 1), 0, link_macs_[l], ls.address.addr, ls.gateway);
  }
}

std::shared_ptr<const NeighborTable> Neighbours::build_table(std::string* error) const {
  auto t = std::make_shared<NeighborTable>();
  // DPDK object names are process-wide: numbered across every control plane (tests run several side by side).
  static std::atomic<uint64_t> tables_built{0};
  std::string name = fmt::format("ws_nb{}", tables_built.fetch_add(1));
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = std::max<uint32_t>(64, static_cast<uint32_t>(lan_.size() * 2));
  p.key_len = sizeof(uint32_t);
  p.hash_func = rte_jhash;
  p.socket_id = static_cast<int>(rte_socket_id());
  t->by_ip = rte_hash_create(&p);
  if (t->by_ip == nullptr) {
    *error = std::string("cannot create neighbour table: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  t->entries = std::make_unique<NeighborTable::Entry[]>(lan_.size() + 1);
  uint32_t i = 0;
  for (const auto& [ip, n] : lan_) {
    t->entries[i] = NeighborTable::Entry{n.mac, n.subnet};
    uint32_t key = ip;
    // rte_hash keeps a pointer-sized datum per key; the entry's index is stored in it, not a pointer
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    if (rte_hash_add_key_data(t->by_ip, &key, reinterpret_cast<void*>(static_cast<uintptr_t>(i))) < 0) {
      *error = "neighbour table full";
      return nullptr;
    }
    i++;
  }
  t->count = i;
  return t;
}

}  // namespace wansteer
