// ControlPlane implementation. Everything here runs on the main lcore; workers only see what publish() swaps in.
#include "control/runtime/control_plane.hpp"

#include <chrono>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fmt/format.h>
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "control/operations/ctl_server.hpp"
#include "control/operations/metrics.hpp"
#include "control/runtime/egress_plan.hpp"
#include "control/steering/planner.hpp"
#include "dataplane/classify.hpp"
#include "dataplane/flow_cache.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/rx_timestamp.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

namespace {

uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::string mac_str(const rte_ether_addr& a) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", a.addr_bytes[0], a.addr_bytes[1], a.addr_bytes[2],
                     a.addr_bytes[3], a.addr_bytes[4], a.addr_bytes[5]);
}

rte_ether_addr to_ether(const MacAddress& m) {
  rte_ether_addr a;
  std::memcpy(a.addr_bytes, m.data(), 6);
  return a;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> w;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') j++;
    if (j > i) w.push_back(line.substr(i, j - i));
    i = j;
  }
  return w;
}

constexpr uint64_t kGatewayRetryMs = 200;      // unresolved gateway: ask again this often
constexpr uint64_t kGatewayRefreshMs = 15000;  // resolved gateway: re-ask so a changed MAC is noticed
constexpr uint64_t kNeighborRetryMs = 1000;    // LAN host without a MAC: at most one ARP per second
constexpr uint64_t kTrafficRecentMs = 10000;   // a metered link that sent user traffic this recently probes fast

bool same_plan(const Plan& a, const Plan& b) {
  for (uint32_t c = 0; c < kMaxClasses; c++) {
    const ClassSteering &x = a.table.cls[c], &y = b.table.cls[c];
    if (x.allowed_mask != y.allowed_mask || x.usable_mask != y.usable_mask || x.stay_mask != y.stay_mask ||
        x.mode != y.mode || x.by_host_pair != y.by_host_pair ||
        std::memcmp(x.pick_slot, y.pick_slot, sizeof x.pick_slot) != 0 ||
        a.cls[c].picked_mask != b.cls[c].picked_mask || a.cls[c].first != b.cls[c].first ||
        a.cls[c].fallback != b.cls[c].fallback)
      return false;
  }
  return true;
}

Sla sla_of(const ClassSpec& c) { return Sla{c.sla.max_loss_pct, c.sla.max_rtt_ms, c.sla.max_jitter_ms}; }

}  // namespace

ControlPlane::ControlPlane(Policy policy, DataplaneRuntime& rt) : policy_(std::move(policy)), rt_(rt) {
  tsc_hz_ = rte_get_tsc_hz();
  failover_bounds_ = {0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10};
  failover_buckets_.assign(failover_bounds_.size() + 1, 0);
  for (uint32_t l = 0; l < kMaxLinks; l++) {
    admin_up_[l] = true;
    gw_resolved_[l] = false;
    gw_mac_[l] = rte_ether_addr{};
  }
  for (size_t l = 0; l < policy_.links.size(); l++) {
    if (policy_.links[l].gateway_mac) {
      gw_resolved_[l] = true;
      gw_mac_[l] = to_ether(*policy_.links[l].gateway_mac);
    }
  }
  for (const auto& n : policy_.lan.neighbors) {
    for (size_t s = 0; s < policy_.lan.subnets.size(); s++) {
      const auto& sub = policy_.lan.subnets[s].address;
      if ((n.ip & sub.mask()) == sub.network()) {
        lan_neighbors_[n.ip] = Neighbor{to_ether(n.mac), static_cast<uint8_t>(s)};
        break;
      }
    }
  }
}

ControlPlane::~ControlPlane() { delete rt_.slot.current.exchange(nullptr); }

bool ControlPlane::start(std::string* error) {
  std::string err;
  auto cls = Classifier::build(policy_.rules, policy_.default_class, &err);
  if (!cls) {
    *error = "cannot compile the policy's rules: " + err;
    return false;
  }
  classifier_ = std::move(cls);
  neighbors_ = build_neighbors(&err);
  if (!neighbors_) {
    *error = err;
    return false;
  }
  if (!register_rx_tsc_field(&err)) {
    *error = err;
    return false;
  }
  prober_ = std::make_unique<Prober>(policy_, rt_.pool, rt_.link_mac, tsc_hz_,
                                     [this](rte_mbuf* m, uint8_t pi) { send_to_worker(m, pi); });
  rebuild_gates(nullptr);
  for (size_t l = 0; l < policy_.links.size(); l++) {
    alive_[l] = !prober_->enabled(l);
    link_cause_[l] = prober_->enabled(l) ? "no_reply_yet" : "not_probed";
  }
  replan(rte_rdtsc());
  publish();
  return true;
}

// One SLA gate per (class, link). On reload, a class with the same name and SLA keeps its gates (and their
// verdicts), so reloading an unchanged policy moves nothing.
void ControlPlane::rebuild_gates(const Policy* old) {
  std::vector<std::vector<SlaGate>> gates(policy_.classes.size());
  bool ok[kMaxClasses][kMaxLinks] = {};
  std::string cause[kMaxClasses][kMaxLinks];
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    const ClassSpec& cs = policy_.classes[c];
    int oc = old ? old->class_index(cs.name) : -1;
    bool keep = oc >= 0 && static_cast<size_t>(oc) < gates_.size() &&
                old->classes[oc].sla.max_loss_pct == cs.sla.max_loss_pct &&
                old->classes[oc].sla.max_rtt_ms == cs.sla.max_rtt_ms &&
                old->classes[oc].sla.max_jitter_ms == cs.sla.max_jitter_ms;
    for (size_t l = 0; l < policy_.links.size(); l++) {
      if (keep) {
        gates[c].push_back(gates_[oc][l]);
        ok[c][l] = sla_ok_[oc][l];
        cause[c][l] = sla_cause_[oc][l];
      } else {
        gates[c].emplace_back(health_config(policy_.links[l].probe));
        ok[c][l] = true;  // a new gate passes until measurements say otherwise
        cause[c][l] = "ok";
      }
    }
  }
  gates_ = std::move(gates);
  for (size_t c = 0; c < kMaxClasses; c++)
    for (size_t l = 0; l < kMaxLinks; l++) {
      sla_ok_[c][l] = ok[c][l];
      sla_cause_[c][l] = std::move(cause[c][l]);
    }
}

std::string ControlPlane::link_name(uint8_t l) const {
  return l < policy_.links.size() ? policy_.links[l].name : std::string("none");
}

void ControlPlane::sample_counters(uint64_t now) {
  last_totals_ = sum_counters(rt_.workers);
  const CounterTotals& t = last_totals_;
  const uint64_t ms = tsc_hz_ / 1000;
  for (size_t l = 0; l < policy_.links.size(); l++) {
    uint64_t tx = 0;
    for (size_t c = 0; c < policy_.classes.size(); c++) tx += t.class_link_packets[c][l];
    uint64_t rx = t.port[l + 1].rx_packets;
    // One-way traffic (an upload, a UDP stream) brings nothing back by itself: only probe replies are sure to
    // arrive, so the silence must also outlast a few probe-reply spacings before it means anything.
    uint32_t passive = policy_.links[l].probe.passive_timeout_ms;
    if (passive != 0 && prober_ && prober_->enabled(l))
      passive = std::max<uint32_t>(passive, static_cast<uint32_t>(3 * prober_->current_interval_ms(l) /
                                                                  std::max<size_t>(1, prober_->n_targets(l))));
    if (tx != user_tx_[l]) {
      // Traffic (re)starting on an idle link: silence is only counted from here (an idle metered link heard
      // nothing for seconds simply because it was probed slowly).
      if (tx_change_tsc_[l] == 0 || now - tx_change_tsc_[l] >= std::max<uint64_t>(passive, 1000) * ms)
        tx_start_tsc_[l] = now;
      tx_change_tsc_[l] = now;
    }
    if (rx != rx_[l] || rx_change_tsc_[l] == 0) rx_change_tsc_[l] = now;
    user_tx_[l] = tx;
    rx_[l] = rx;
    // Passive signal: user traffic keeps leaving on this link but nothing at all (not even probe replies) has
    // come back for passive_timeout: suspect the link now instead of waiting for probe misses.
    const uint64_t quiet_since = std::max(rx_change_tsc_[l], tx_start_tsc_[l]);
    if (passive != 0 && prober_ && prober_->enabled(l) && alive_[l] && tx_change_tsc_[l] != 0 &&
        now - tx_change_tsc_[l] < passive * ms && now - quiet_since >= passive * ms) {
      prober_->liveness(l).suspect(prober_->ns_of(now));
      suspects_[l]++;
    }
  }
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    PendingMove& pm = pending_move_[c];
    if (!pm.active || pm.link >= kMaxLinks) continue;
    if (t.class_link_packets[c][pm.link] > pm.base_packets) {
      double secs = static_cast<double>(now - pm.since_tsc) / static_cast<double>(tsc_hz_);
      size_t b = 0;
      while (b < failover_bounds_.size() && secs > failover_bounds_[b]) b++;
      failover_buckets_[b]++;
      failover_sum_s_ += secs;
      failover_count_++;
      last_failover_s_[c] = secs;
      if (drill_.active && drill_.move_s[c] < 0) drill_.move_s[c] = secs;
      pm.active = false;
    }
  }
  last_sample_tsc_ = now;
}

void ControlPlane::health_tick(uint64_t now) {
  if (!prober_) return;
  const uint64_t ms = tsc_hz_ / 1000;
  std::array<Prober::LinkTx, kMaxLinks> tx{};
  for (size_t l = 0; l < policy_.links.size(); l++) {
    // Probes keep running while a link is administratively down: the operator withdraws user traffic, not
    // the measurements (a drill shows the link's health all along, and admin up needs no hold-down).
    tx[l].can_send = gw_resolved_[l];
    tx[l].gateway_mac = gw_mac_[l];
    tx[l].carrying_traffic = tx_change_tsc_[l] != 0 && now - tx_change_tsc_[l] < kTrafficRecentMs * ms;
  }
  prober_->tick(now, tx);
  if (now - last_sample_tsc_ >= 5 * ms) sample_counters(now);
  const uint64_t now_ns = prober_->ns_of(now);
  for (size_t l = 0; l < policy_.links.size(); l++) {
    if (!prober_->enabled(l)) {
      alive_[l] = true;
      for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) sla_ok_[c][l] = true;
      continue;
    }
    LinkLiveness& lv = prober_->liveness(l);
    LinkLiveness::Verdict v = lv.evaluate(now_ns);
    const LinkMetrics m = lv.metrics();
    if (v.changed) {
      alive_[l] = v.alive;
      link_cause_[l] = v.cause;
      Event e = health_event("link_state", m);
      e.link = policy_.links[l].name;
      e.from = v.alive ? "down" : "up";
      e.to = v.alive ? "up" : "down";
      e.cause = v.cause;
      events_.emit(std::move(e));
    }
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses && c < gates_.size(); c++) {
      SlaGate::Verdict g = gates_[c][l].evaluate(m, sla_of(policy_.classes[c]), now_ns);
      if (!g.changed) continue;
      sla_ok_[c][l] = g.ok;
      sla_cause_[c][l] = g.cause;
      bool allowed = false;
      for (uint8_t a : policy_.classes[c].links) allowed |= a == l;
      if (!allowed) continue;
      Event e = health_event("sla", m);
      e.link = policy_.links[l].name;
      e.cls = policy_.classes[c].name;
      e.from = g.ok ? "out" : "in";
      e.to = g.ok ? "in" : "out";
      e.cause = g.cause;
      events_.emit(std::move(e));
    }
  }
  if (last_tick_tsc_ != 0 && have_plan_) {
    double dt = static_cast<double>(now - last_tick_tsc_) / static_cast<double>(tsc_hz_);
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++)
      for (size_t l = 0; l < policy_.links.size(); l++)
        if (((plan_.cls[c].picked_mask >> l) & 1u) && policy_.links[l].role == LinkRole::backup) {
          backup_seconds_[c] += dt;
          break;
        }
  }
  last_tick_tsc_ = now;
  drill_tick(now);
  replan(now);
  if (dirty_) publish();
}

PlanInput ControlPlane::plan_input() const {
  PlanInput in;
  for (size_t l = 0; l < policy_.links.size(); l++) {
    in.alive[l] = admin_up_[l] && gw_resolved_[l] && alive_[l];
    if (prober_ && prober_->enabled(l)) {
      LinkMetrics m = prober_->liveness(l).metrics();
      in.score[l] = link_score(m.rtt_ms, m.jitter_ms, m.loss_pct);
    }
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++)
      in.sla_ok[c][l] = !(prober_ && prober_->enabled(l)) || sla_ok_[c][l];
  }
  return in;
}

std::string ControlPlane::steer_cause(size_t c, uint8_t from, uint8_t to) const {
  if (from == kNoLink || from >= policy_.links.size()) return have_plan_ ? "link_available" : "start";
  if (to == kNoLink) return "no_usable_link";
  if (!admin_up_[from]) return drill_.active && drill_.link == from ? "drill" : "admin_down";
  if (!gw_resolved_[from]) return "next_hop_unresolved";
  if (!alive_[from]) return link_cause_[from].empty() ? "link_down" : link_cause_[from];
  if (!sla_ok_[c][from] && prober_ && prober_->enabled(from)) return "sla_" + sla_cause_[c][from];
  return "recovered";
}

void ControlPlane::replan(uint64_t now) {
  Plan np = plan_steering(policy_, plan_input(), have_plan_ ? &plan_ : nullptr);
  if (have_plan_ && same_plan(np, plan_)) return;
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    const ClassPlan& o = plan_.cls[c];
    const ClassPlan& n = np.cls[c];
    if (have_plan_ && o.picked_mask == n.picked_mask && o.first == n.first && o.fallback == n.fallback) continue;
    if (!have_plan_ && n.first == kNoLink) continue;  // nothing to say yet: links come up in a moment
    Event e;
    uint8_t from = have_plan_ ? o.first : kNoLink;
    LinkMetrics m = (prober_ && from < policy_.links.size() && prober_->enabled(from))
                        ? prober_->liveness(from).metrics()
                        : LinkMetrics{};
    e = health_event("steer", m);
    e.cls = policy_.classes[c].name;
    e.from = link_name(from);
    e.to = link_name(n.first);
    e.cause = (from == n.first && n.fallback != o.fallback) ? (n.fallback ? "no_link_meets_sla" : "sla_met_again")
                                                            : steer_cause(c, from, n.first);
    if (n.fallback && e.cause.rfind("sla_", 0) == 0) e.cause += "+fallback";
    if (from != kNoLink && n.first != kNoLink && from != n.first) {
      pending_move_[c] = PendingMove{true, n.first, now, last_totals_.class_link_packets[c][n.first]};
    }
    events_.emit(std::move(e));
  }
  plan_ = np;
  have_plan_ = true;
  dirty_ = true;
}

std::shared_ptr<const NeighborTable> ControlPlane::build_neighbors(std::string* error) {
  auto t = std::make_shared<NeighborTable>();
  // DPDK object names are process-wide: numbered across every ControlPlane (tests run several side by side).
  static std::atomic<uint64_t> tables_built{0};
  std::string name = fmt::format("ws_nb{}", tables_built.fetch_add(1));
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = std::max<uint32_t>(64, static_cast<uint32_t>(lan_neighbors_.size() * 2));
  p.key_len = sizeof(uint32_t);
  p.hash_func = rte_jhash;
  p.socket_id = static_cast<int>(rte_socket_id());
  t->by_ip = rte_hash_create(&p);
  if (t->by_ip == nullptr) {
    *error = std::string("cannot create neighbour table: ") + rte_strerror(rte_errno);
    return nullptr;
  }
  t->entries = std::make_unique<NeighborTable::Entry[]>(lan_neighbors_.size() + 1);
  uint32_t i = 0;
  for (const auto& [ip, n] : lan_neighbors_) {
    t->entries[i] = NeighborTable::Entry{n.mac, n.subnet};
    uint32_t key = ip;
    if (rte_hash_add_key_data(t->by_ip, &key, reinterpret_cast<void*>(static_cast<uintptr_t>(i))) < 0) {
      *error = "neighbour table full";
      return nullptr;
    }
    i++;
  }
  t->count = i;
  return t;
}

void ControlPlane::publish() {
  auto s = std::make_unique<DataplaneSnapshot>();
  s->generation = ++generation_;
  s->policy_generation = policy_generation_;
  s->classifier = classifier_;
  s->neighbors = neighbors_;
  s->n_links = static_cast<uint8_t>(policy_.links.size());
  s->n_classes = static_cast<uint8_t>(policy_.classes.size());
  s->n_lan = static_cast<uint8_t>(policy_.lan.subnets.size());
  s->lan_port_id = rt_.lan_port;
  s->lan_mac = rt_.lan_mac;
  for (size_t i = 0; i < policy_.lan.subnets.size(); i++) {
    const auto& sub = policy_.lan.subnets[i];
    s->lan[i] = LanSubnet{sub.address.addr, sub.address.network(), sub.address.mask(), sub.vlan};
  }
  for (size_t l = 0; l < policy_.links.size(); l++) {
    const LinkSpec& ls = policy_.links[l];
    LinkConfig& lc = s->links[l];
    lc.port_id = rt_.link_port[l];
    lc.own_ip = ls.address.addr;
    lc.network = ls.address.network();
    lc.mask = ls.address.mask();
    lc.gateway_ip = ls.gateway;
    lc.own_mac = rt_.link_mac[l];
    lc.gateway_mac = gw_mac_[l];
    lc.gateway_resolved = gw_resolved_[l];
    lc.backup = ls.role == LinkRole::backup;
  }
  s->steering = plan_.table;
  s->flow_idle_tsc = static_cast<uint64_t>(policy_.flow_cache.idle_timeout_s) * rte_get_tsc_hz();
  // Rate limits and shapers (backup profiles follow link liveness); the snapshot being replaced keeps unchanged
  // profiles' generations, so owners keep their buckets.
  const DataplaneSnapshot* prev = rt_.slot.current.load(std::memory_order_relaxed);
  s->egress = plan_egress(policy_, plan_input().alive, prev ? &prev->egress : nullptr, rte_get_tsc_hz());
  const DataplaneSnapshot* old = rt_.slot.current.exchange(s.release(), std::memory_order_acq_rel);
  if (old != nullptr) {
    // Wait until every worker has finished the loop iteration that might still read `old`.
    rte_rcu_qsbr_synchronize(rt_.qsbr, RTE_QSBR_THRID_INVALID);
    delete old;
  }
  dirty_ = false;
}

void ControlPlane::send_to_worker(rte_mbuf* m, uint8_t port_index) {
  m->port = port_index;
  if (rte_ring_sp_enqueue(rt_.from_control, m) != 0) rte_pktmbuf_free(m);
}

void ControlPlane::send_arp_request(uint8_t port_index, uint16_t vlan, const rte_ether_addr& our_mac, uint32_t our_ip,
                                    uint32_t target_ip) {
  rte_mbuf* m = rte_pktmbuf_alloc(rt_.pool);
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
  send_to_worker(m, port_index);
}

void ControlPlane::handle_arp(rte_mbuf* m) {
  PacketMeta* meta = meta_of(m);
  uint8_t pi = meta->port;
  auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, meta->l3_offset);
  if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
      arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 || arp->arp_plen != 4) {
    rte_pktmbuf_free(m);
    return;
  }
  uint32_t sip = rte_be_to_cpu_32(arp->arp_data.arp_sip);
  uint32_t tip = rte_be_to_cpu_32(arp->arp_data.arp_tip);
  bool request = arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
  rte_ether_addr our_mac{};
  uint32_t our_ip = 0;
  bool for_us = false;
  if (pi == 0) {
    for (size_t s = 0; s < policy_.lan.subnets.size(); s++) {
      const auto& sub = policy_.lan.subnets[s];
      if (sub.vlan != meta->vlan) continue;
      if ((sip & sub.address.mask()) == sub.address.network() && sip != sub.address.addr) {
        // Learn (or refresh) the sender, as a Linux router would from any ARP it sees for its subnet.
        auto it = lan_neighbors_.find(sip);
        if (it == lan_neighbors_.end() || !rte_is_same_ether_addr(&it->second.mac, &arp->arp_data.arp_sha) ||
            it->second.subnet != s) {
          lan_neighbors_[sip] = Neighbor{arp->arp_data.arp_sha, static_cast<uint8_t>(s)};
          neighbors_dirty_ = true;
        }
      }
      if (tip == sub.address.addr) {
        for_us = true;
        our_ip = sub.address.addr;
        our_mac = rt_.lan_mac;
      }
    }
  } else if (pi <= policy_.links.size()) {
    size_t l = pi - 1u;
    const LinkSpec& ls = policy_.links[l];
    if (sip == ls.gateway && !ls.gateway_mac) {
      if (!gw_resolved_[l] || !rte_is_same_ether_addr(&gw_mac_[l], &arp->arp_data.arp_sha)) {
        gw_mac_[l] = arp->arp_data.arp_sha;
        gw_resolved_[l] = true;
        dirty_ = true;
        replan(rte_rdtsc());
      }
    }
    if (tip == ls.address.addr) {
      for_us = true;
      our_ip = ls.address.addr;
      our_mac = rt_.link_mac[l];
    }
  }
  if (!(request && for_us)) {
    rte_pktmbuf_free(m);
    return;
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
  send_to_worker(m, pi);
}

void ControlPlane::handle_unresolved(rte_mbuf* m) {
  PacketMeta* meta = meta_of(m);
  uint32_t be;
  std::memcpy(&be, meta->dst.data(), 4);
  uint32_t dst = rte_be_to_cpu_32(be);
  no_neighbor_drops_++;
  rte_pktmbuf_free(m);
  uint64_t now = now_ms();
  auto& asked = arp_asked_ms_[dst];
  if (asked != 0 && now - asked < kNeighborRetryMs) return;
  asked = now;
  for (const auto& sub : policy_.lan.subnets) {
    if ((dst & sub.address.mask()) == sub.address.network()) {
      send_arp_request(0, sub.vlan, rt_.lan_mac, sub.address.addr, dst);
      return;
    }
  }
}

void ControlPlane::process_from_workers() {
  rte_mbuf* pkts[32];
  for (;;) {
    unsigned n = rte_ring_sc_dequeue_burst(rt_.to_control, reinterpret_cast<void**>(pkts), 32, nullptr);
    for (unsigned i = 0; i < n; i++) {
      uint8_t why = meta_of(pkts[i])->cp_reason;
      if (why == PacketMeta::kToControlArp)
        handle_arp(pkts[i]);
      else if (why == PacketMeta::kToControlResolve)
        handle_unresolved(pkts[i]);
      else if (why == PacketMeta::kToControlProbe && prober_) {
        uint8_t port = meta_of(pkts[i])->port;
        if (port >= 1) prober_->on_reply(pkts[i], static_cast<uint8_t>(port - 1));
        rte_pktmbuf_free(pkts[i]);
      } else
        rte_pktmbuf_free(pkts[i]);
    }
    if (n < 32) break;
  }
}

void ControlPlane::refresh_gateways(uint64_t now) {
  for (size_t l = 0; l < policy_.links.size(); l++) {
    const LinkSpec& ls = policy_.links[l];
    if (ls.gateway_mac) continue;
    uint64_t every = gw_resolved_[l] ? kGatewayRefreshMs : kGatewayRetryMs;
    if (gw_asked_ms_[l] != 0 && now - gw_asked_ms_[l] < every) continue;
    gw_asked_ms_[l] = now;
    send_arp_request(static_cast<uint8_t>(l + 1), 0, rt_.link_mac[l], ls.address.addr, ls.gateway);
  }
}

void ControlPlane::run(const std::atomic<bool>& stop, std::atomic<bool>& reload, CtlServer* ctl) {
  while (!stop.load(std::memory_order_relaxed)) {
    process_from_workers();
    refresh_gateways(now_ms());
    health_tick(rte_rdtsc());
    if (neighbors_dirty_) {
      std::string err;
      auto nt = build_neighbors(&err);
      if (nt) {
        neighbors_ = std::move(nt);
        dirty_ = true;
      } else {
        fmt::print(stderr, "wansteer: {}\n", err);
      }
      neighbors_dirty_ = false;
    }
    if (dirty_) publish();
    if (reload.exchange(false)) fmt::print("wansteer: SIGHUP: {}", reload_policy());
    if (ctl != nullptr) ctl->poll([this](const std::string& line) { return handle_command(line); });
    if (metrics_ != nullptr) metrics_->serve_pending([this] { return metrics_snapshot(); });
    rte_delay_us_sleep(1000);
  }
}

void ControlPlane::drain_rings() {
  void* p;
  while (rte_ring_dequeue(rt_.to_control, &p) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(p));
  while (rte_ring_dequeue(rt_.from_control, &p) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(p));
}

StatsView ControlPlane::stats_view() {
  StatsView v;
  v.policy = &policy_;
  v.totals = sum_counters(rt_.workers);
  v.totals.drop[static_cast<uint32_t>(DropReason::no_neighbor)] += no_neighbor_drops_;
  v.totals.port[0].drops += no_neighbor_drops_;  // such packets arrived on a WAN port but were meant for the LAN
  for (size_t l = 0; l < policy_.links.size(); l++) {
    LinkView lv;
    lv.admin_up = admin_up_[l];
    lv.gateway_resolved = gw_resolved_[l];
    lv.gateway_mac = gw_resolved_[l] ? mac_str(gw_mac_[l]) : "";
    lv.own_mac = mac_str(rt_.link_mac[l]);
    lv.port_id = rt_.link_port[l];
    const bool usable = admin_up_[l] && gw_resolved_[l] && alive_[l];
    bool degraded = false;
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++)
      for (uint8_t a : policy_.classes[c].links)
        if (a == l && prober_ && prober_->enabled(l) && !sla_ok_[c][l]) degraded = true;
    lv.state = !usable ? "down" : degraded ? "degraded" : "up";
    lv.cause = !admin_up_[l] ? "admin_down" : !gw_resolved_[l] ? "next_hop_unresolved" : link_cause_[l];
    if (prober_ && prober_->enabled(l)) {
      LinkMetrics m = prober_->liveness(l).metrics();
      const Prober::Stats& ps = prober_->stats(l);
      lv.probing = true;
      lv.loss_pct = m.loss_pct;
      lv.fwd_loss_pct = m.fwd_loss_pct;
      lv.rev_loss_pct = m.rev_loss_pct;
      lv.rtt_ms = m.rtt_ms;
      lv.rtt_max_ms = m.rtt_max_ms;
      lv.jitter_ms = m.jitter_ms;
      lv.probes_sent = ps.sent;
      lv.probes_lost = ps.sent - ps.replies;
      lv.probe_replies = ps.replies;
      lv.probe_tx_bytes = ps.tx_bytes;
      lv.probe_rx_bytes = ps.rx_bytes;
      lv.probe_interval_ms = prober_->current_interval_ms(l);
      for (size_t t = 0; t < prober_->n_targets(l); t++) {
        const ProbeTarget& spec = prober_->target_spec(l, t);
        LinkMetrics tm = prober_->liveness(l).target(t).metrics();
        LinkView::Target tg;
        tg.address = fmt::format("{}.{}.{}.{}", spec.address >> 24, (spec.address >> 16) & 255,
                                 (spec.address >> 8) & 255, spec.address & 255);
        tg.kind = spec.kind == ProbeKind::stamp ? "stamp" : "icmp";
        tg.loss_pct = tm.loss_pct;
        tg.fwd_loss_pct = tm.fwd_loss_pct;
        tg.rev_loss_pct = tm.rev_loss_pct;
        tg.rtt_ms = tm.rtt_ms;
        tg.jitter_ms = tm.jitter_ms;
        tg.samples = tm.samples;
        lv.targets.push_back(tg);
      }
    }
    v.links.push_back(lv);
  }
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    const ClassSpec& cs = policy_.classes[c];
    ClassView cv;
    const ClassPlan& cp = plan_.cls[c];
    if (cp.first != kNoLink) cv.links.push_back(link_name(cp.first));
    for (size_t l = 0; l < policy_.links.size(); l++)
      if (((cp.picked_mask >> l) & 1u) && l != cp.first) cv.links.push_back(link_name(static_cast<uint8_t>(l)));
    cv.fallback = cp.fallback;
    cv.sla = cs.sla.preset;
    cv.max_loss_pct = cs.sla.max_loss_pct;
    cv.max_rtt_ms = cs.sla.max_rtt_ms;
    cv.max_jitter_ms = cs.sla.max_jitter_ms;
    for (uint8_t l : cs.links)
      if (admin_up_[l] && gw_resolved_[l] && alive_[l] && (!(prober_ && prober_->enabled(l)) || sla_ok_[c][l]))
        cv.sla_ok.push_back(link_name(l));
    cv.backup_seconds = backup_seconds_[c];
    v.classes.push_back(cv);
  }
  v.lan_mac = mac_str(rt_.lan_mac);
  v.lan_port_id = rt_.lan_port;
  v.generation = generation_;
  v.mempool_in_use = rte_mempool_in_use_count(rt_.pool);
  v.mempool_size = rt_.pool->size;
  v.arp_replies = arp_replies_;
  v.arp_requests = arp_requests_;
  v.neighbors = lan_neighbors_.size();
  return v;
}

std::string ControlPlane::set_link_admin(const std::string& name, bool up) {
  int l = policy_.link_index(name);
  if (l < 0) {
    std::string names;
    for (const auto& ls : policy_.links) names += (names.empty() ? "" : ", ") + ls.name;
    return fmt::format("error: unknown link \"{}\" (links: {})\n", name, names);
  }
  if (drill_.active && drill_.link == l)
    return fmt::format("error: a drill is running on {}; `wansteerctl drill stop` ends it\n", name);
  bool was = admin_up_[l];
  admin_up_[l] = up;
  if (was != up) {
    Event e = health_event("admin", prober_ ? prober_->liveness(l).metrics() : LinkMetrics{});
    e.link = name;
    e.from = was ? "up" : "down";
    e.to = up ? "up" : "down";
    e.cause = up ? "admin_up" : "admin_down";
    events_.emit(std::move(e));
  }
  replan(rte_rdtsc());
  publish();
  fmt::print("wansteer: link {} administratively {} (was {})\n", name, up ? "up" : "down", was ? "up" : "down");
  std::fflush(stdout);
  return fmt::format("link {}: admin {}\n", name, up ? "up" : "down");
}

std::string ControlPlane::reload_policy() {
  PolicyResult r = load_policy(policy_.path);
  if (!r.ok()) {
    std::string s = fmt::format("error: policy {} rejected, the running policy stays:\n", policy_.path);
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    reloads_failed_++;
    return s;
  }
  Policy& np = *r.policy;
  // Ports and addresses are bound at start; a reload may change classes, rules and link order only if the
  // set of devices is unchanged.
  bool same_ports = np.lan.device == policy_.lan.device && np.links.size() == policy_.links.size();
  for (size_t l = 0; same_ports && l < np.links.size(); l++)
    same_ports = np.links[l].device == policy_.links[l].device && np.links[l].name == policy_.links[l].name;
  if (!same_ports) {
    reloads_failed_++;
    return "error: the new policy changes ports or links; restart wansteer to apply it (running policy kept)\n";
  }
  std::string err;
  auto cls = Classifier::build(np.rules, np.default_class, &err);
  if (!cls) {
    reloads_failed_++;
    return "error: cannot compile the new rules (running policy kept): " + err + "\n";
  }
  std::string note;
  for (size_t l = 0; l < np.links.size(); l++) {
    const ProbeSpec &a = np.links[l].probe, &b = policy_.links[l].probe;
    bool same = a.enabled == b.enabled && a.interval_ms == b.interval_ms && a.idle_interval_ms == b.idle_interval_ms &&
                a.detect_multiplier == b.detect_multiplier && a.loss_window == b.loss_window &&
                a.reply_timeout_ms == b.reply_timeout_ms && a.hold_down_ms == b.hold_down_ms &&
                a.passive_timeout_ms == b.passive_timeout_ms && a.min_samples == b.min_samples &&
                a.targets.size() == b.targets.size() && np.links[l].metered == policy_.links[l].metered;
    for (size_t t = 0; same && t < a.targets.size(); t++)
      same = a.targets[t].address == b.targets[t].address && a.targets[t].kind == b.targets[t].kind &&
             a.targets[t].port == b.targets[t].port;
    if (!same) {
      note += fmt::format(
          "note: link {}: probe settings changed; they take effect when wansteer restarts "
          "(probing continues with the running settings)\n",
          np.links[l].name);
      np.links[l].probe = policy_.links[l].probe;
      np.links[l].metered = policy_.links[l].metered;
    }
  }
  for (size_t l = 0; l < np.links.size(); l++) {
    if (np.links[l].gateway_mac) {
      gw_mac_[l] = to_ether(*np.links[l].gateway_mac);
      gw_resolved_[l] = true;
    }
  }
  bool same_classes = np.classes.size() == policy_.classes.size();
  for (size_t c = 0; same_classes && c < np.classes.size(); c++)
    same_classes = np.classes[c].name == policy_.classes[c].name;
  if (!same_classes) have_plan_ = false;  // class numbers changed: the old plan says nothing about the new ones
  Policy old = std::move(policy_);
  policy_ = std::move(np);
  classifier_ = std::move(cls);
  policy_generation_++;
  reloads_ok_++;
  rebuild_gates(&old);
  replan(rte_rdtsc());
  publish();
  return note + fmt::format("policy {} loaded: {} classes, {} rules (generation {})\n", policy_.path,
                            policy_.classes.size(), policy_.rules.size(), policy_generation_);
}

namespace {
std::string addr_str(const uint8_t* a, uint8_t l3) {
  if (l3 == static_cast<uint8_t>(L3::ipv4)) return fmt::format("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
  char buf[64];
  ::inet_ntop(AF_INET6, a, buf, sizeof buf);
  return buf;
}
std::string proto_str(uint8_t p) {
  return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : p == IPPROTO_ICMP ? "icmp" : fmt::format("{}", p);
}
}  // namespace

// The heaviest flows (by bytes since they were classified) that the workers saw in their last aging sweep
// (every ~100 ms): each worker publishes its own top list, control merges them.
std::string ControlPlane::top_flows(size_t n, bool json) {
  std::vector<TopFlow> all;
  for (const WorkerContext* wc : rt_.workers) {
    std::vector<TopFlow> v;
    if (wc->flows && wc->flows->read_top_flows(&v)) all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end(), [](const TopFlow& a, const TopFlow& b) { return a.bytes > b.bytes; });
  if (all.size() > n) all.resize(n);
  const uint64_t now = rte_rdtsc();
  std::string out = json ? "["
                         : fmt::format("{:<5} {:<40} {:<40} {:<10} {:<7} {:>10} {:>14} {:>8}\n", "PROTO", "SOURCE",
                                       "DESTINATION", "CLASS", "LINK", "PACKETS", "BYTES", "IDLE s");
  for (size_t i = 0; i < all.size(); i++) {
    const TopFlow& f = all[i];
    const bool v4 = f.key.l3 == static_cast<uint8_t>(L3::ipv4);
    std::string src = addr_str(f.key.src, f.key.l3), dst = addr_str(f.key.dst, f.key.l3);
    std::string cls = f.class_id < policy_.classes.size() ? policy_.classes[f.class_id].name : "?";
    double idle = now > f.last_seen_tsc ? static_cast<double>(now - f.last_seen_tsc) / tsc_hz_ : 0.0;
    if (json) {
      out += fmt::format(
          R"({}{{"proto":"{}","src":"{}","sport":{},"dst":"{}","dport":{},"class":"{}","link":"{}","packets":{},"bytes":{},"idle_s":{:.3f}}})",
          i ? "," : "", proto_str(f.key.proto), src, f.key.sport, dst, f.key.dport, cls, link_name(f.link), f.packets,
          f.bytes, idle);
    } else {
      auto ep = [&](const std::string& a, uint16_t p) {
        return v4 ? fmt::format("{}:{}", a, p) : fmt::format("[{}]:{}", a, p);
      };
      out += fmt::format("{:<5} {:<40} {:<40} {:<10} {:<7} {:>10} {:>14} {:>8.1f}\n", proto_str(f.key.proto),
                         ep(src, f.key.sport), ep(dst, f.key.dport), cls, link_name(f.link), f.packets, f.bytes, idle);
    }
  }
  return json ? out + "]\n" : out;
}

std::string ControlPlane::handle_command(const std::string& line) {
  std::vector<std::string> w = split_words(line);
  bool json = false;
  std::erase_if(w, [&](const std::string& s) {
    if (s == "--json") json = true;
    return s == "--json";
  });
  if (w.empty() || w[0] == "help")
    return "commands: show counters | show links | show classes | show events [N] | link down NAME | "
           "link up NAME | show flows [N] | drill start LINK SECONDS | drill status | drill stop | reload | ping  "
           "(add --json)\n";
  if (w[0] == "ping") return "ok\n";
  if (w[0] == "show" && w.size() == 2 && w[1] == "counters") {
    StatsView v = stats_view();
    return json ? counters_json(v) + "\n" : counters_text(v);
  }
  if (w[0] == "show" && w.size() == 2 && w[1] == "links") {
    StatsView v = stats_view();
    return json ? links_json(v) + "\n" : links_text(v);
  }
  if (w[0] == "show" && w.size() == 2 && w[1] == "classes") {
    StatsView v = stats_view();
    return json ? classes_json(v) + "\n" : classes_text(v);
  }
  if (w[0] == "show" && (w.size() == 2 || w.size() == 3) && w[1] == "events") {
    size_t n = 50;
    if (w.size() == 3) n = static_cast<size_t>(std::max(1L, std::strtol(w[2].c_str(), nullptr, 10)));
    std::string out = json ? "[" : "";
    bool first = true;
    for (const Event& e : events_.recent(n)) {
      out += json ? (first ? "" : ",") + e.json() : e.json() + "\n";
      first = false;
    }
    return json ? out + "]\n" : out;
  }
  if (w[0] == "drill") return drill_command(w, json);
  if (w[0] == "show" && (w.size() == 2 || w.size() == 3) && w[1] == "flows") {
    size_t n = 10;
    if (w.size() == 3) n = static_cast<size_t>(std::clamp(std::strtol(w[2].c_str(), nullptr, 10), 1L, 1000L));
    return top_flows(n, json);
  }
  if (w[0] == "link" && w.size() == 3 && (w[1] == "down" || w[1] == "up")) return set_link_admin(w[2], w[1] == "up");
  if (w[0] == "reload" && w.size() == 1) return reload_policy();
  return fmt::format(
      "error: unknown command \"{}\"; try: show counters | show links | show classes | "
      "show events [N] | link down NAME | link up NAME | reload\n",
      line);
}

}  // namespace wansteer
