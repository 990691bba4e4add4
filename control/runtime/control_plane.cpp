// ControlPlane: the control thread's loop and the state changes that touch several parts (admin state, drills,
// reload). Everything here runs on the main lcore; workers only see what publish() swaps in.
#include "control/runtime/control_plane.hpp"

#include "control/common/addr_format.hpp"

#include <cstdio>
#include <ctime>

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "control/operations/ctl_server.hpp"
#include "control/operations/metrics.hpp"
#include "control/operations/status_snapshot.hpp"
#include "control/operations/top_flows.hpp"
#include "control/runtime/snapshot_builder.hpp"
#include "control/runtime/tsc_clock.hpp"
#include "dataplane/classify.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/rx_timestamp.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

namespace {
constexpr uint64_t kSampleMs = 5;  // workers' counters are summed this often (passive signal, failover timing)
}  // namespace

ControlPlane::ControlPlane(Policy policy, DataplaneRuntime& rt, const Clock* clock)
    : policy_(std::move(policy)),
      rt_(rt),
      own_clock_(clock ? nullptr : std::make_unique<TscClock>()),
      clock_(clock ? *clock : *own_clock_),
      neighbours_(policy_, rt.pool, rt.lan_mac, rt.link_mac, clock_.hz(),
                  [this](rte_mbuf* m, uint8_t pi) { send_to_worker(m, pi); }),
      dhcp_(
          policy_, rt.pool, rt.link_mac, clock_.hz(), clock_.now(),
          [this](rte_mbuf* m, uint8_t pi) { send_to_worker(m, pi); },
          [this](uint8_t l, const dhcp::Change& c, uint64_t now) { apply_lease(l, c, now); }),
      monitor_(policy_, events_, clock_.hz()),
      steering_(policy_, events_, clock_.hz()),
      budgets_(policy_, events_),
      drill_(policy_, clock_.hz()),
      overlay_(
          rt.pool, [this](rte_mbuf* m, uint8_t pi) { send_to_worker(m, pi); }, events_, clock_.hz()),
      publisher_(rt.slot, rt.qsbr) {}

ControlPlane::~ControlPlane() = default;

bool ControlPlane::budget_tick(const CounterTotals& totals) {
  std::array<uint64_t, kMaxLinks> bytes{};
  for (size_t l = 0; l < policy_.links.size() && l < kMaxLinks; l++)
    bytes[l] = totals.port[l + 1].rx_bytes + totals.port[l + 1].tx_bytes;
  return budgets_.update(static_cast<int64_t>(std::time(nullptr)), bytes);
}

void ControlPlane::save_budgets() {
  budget_tick(sum_counters(rt_.workers));
  budgets_.save(static_cast<int64_t>(std::time(nullptr)), true);
}

bool ControlPlane::start(std::string* error) {
  std::string err;
  auto cls = Classifier::build(policy_.rules, policy_.default_class, &err);
  if (!cls) {
    *error = "cannot compile the policy's rules: " + err;
    return false;
  }
  classifier_ = std::move(cls);
  neighbor_table_ = neighbours_.build_table(&err);
  if (!neighbor_table_) {
    *error = err;
    return false;
  }
  if (!register_rx_tsc_field(&err)) {
    *error = err;
    return false;
  }
  if (!overlay_.configure(policy_, &err)) {
    *error = err;
    return false;
  }
  monitor_.start_probing(rt_.pool, rt_.link_mac, [this](rte_mbuf* m, uint8_t pi) { send_to_worker(m, pi); });
  monitor_.rebuild_gates(nullptr);
  budget_tick(sum_counters(rt_.workers));  // the saved usage applies from the first snapshot on
  replan(clock_.now());
  publish();
  return true;
}

std::array<bool, kMaxLinks> ControlPlane::usable() const { return monitor_.plan_input(neighbours_.gateways()).alive; }

void ControlPlane::replan(uint64_t now) {
  const Gateways& gw = neighbours_.gateways();
  PlanInput in = monitor_.plan_input(gw);
  in.budget_exhausted = budgets_.exhausted_mask();
  in.overlay_alive = overlay_.alive_over(in.alive);
  overlay_.judge_paths(in);
  const auto why_left = [&](size_t c, uint8_t from) {
    const bool blocked = c >= policy_.class_limits.size() || policy_.class_limits[c].on_budget == BudgetAction::block;
    if (blocked && ((in.budget_exhausted >> from) & 1u) && monitor_.why_left(c, from, gw) == "recovered")
      return std::string("budget_exhausted");
    return monitor_.why_left(c, from, gw);
  };
  const bool changed =
      steering_.replan(now, in, why_left, last_totals_, [&](uint8_t l) { return monitor_.metrics(l); });
  dirty_ = dirty_ || changed;
}

void ControlPlane::publish() {
  const SnapshotInputs in{policy_,
                          rt_,
                          classifier_,
                          neighbor_table_,
                          neighbours_.gateways(),
                          steering_.plan().table,
                          usable(),
                          ++generation_,
                          policy_generation_,
                          rte_get_tsc_hz(),
                          budgets_.exhausted_mask(),
                          overlay_.keys(),
                          overlay_.endpoint(),
                          overlay_.other_endpoint()};
  publisher_.publish(build_snapshot(in, publisher_.current()));
  dirty_ = false;
}

void ControlPlane::send_to_worker(rte_mbuf* m, uint8_t port_index) {
  m->port = port_index;
  if (rte_ring_sp_enqueue(rt_.from_control, m) != 0) {
    rte_pktmbuf_free(m);
    return;
  }
  // Worker 0 drains from_control; if it sleeps until a packet (dataplane/idle_wake.hpp), this one must wake it.
  if (!rt_.workers.empty() && rt_.workers[0]->wake) rt_.workers[0]->wake->kick_if_asleep();
}

// An ARP claiming one of our addresses, or a static neighbour's with another MAC: the operator must hear of it
// (a misconfigured host or an attack).
void ControlPlane::report_arp_conflict(const Neighbours::ArpFacts& f, uint8_t port) {
  Event e;
  e.kind = "arp_conflict";
  e.link = port == 0 ? "lan" : policy_.links[port - 1u].name;
  e.from = mac_str(f.conflict_mac.addr_bytes);  // who claims it
  e.to = ipv4_str(f.conflict_ip);               // the edge address it claims
  e.cause = f.conflict_static ? "claims_static_neighbor" : "claims_edge_address";
  events_.emit(std::move(e));
}

void ControlPlane::process_from_workers(uint64_t now) {
  rte_mbuf* pkts[32];
  for (;;) {
    const unsigned n = rte_ring_sc_dequeue_burst(rt_.to_control, reinterpret_cast<void**>(pkts), 32, nullptr);
    for (unsigned i = 0; i < n; i++) {
      const PacketMeta* meta = meta_of(pkts[i]);
      if (meta->cp_reason == PacketMeta::kToControlArp) {
        const uint8_t port = meta->port;  // on_arp consumes the mbuf
        const Neighbours::ArpFacts f = neighbours_.on_arp(pkts[i], now);
        if (f.conflict) report_arp_conflict(f, port);
        neighbors_dirty_ = neighbors_dirty_ || f.neighbours_changed;
        if (f.gateway_changed) {
          dirty_ = true;
          replan(now);
        }
      } else if (meta->cp_reason == PacketMeta::kToControlDhcp && meta->port >= 1) {
        dhcp_.on_frame(pkts[i], static_cast<uint8_t>(meta->port - 1), now);
      } else if (meta->cp_reason == PacketMeta::kToControlResolve) {
        neighbours_.on_unresolved(pkts[i], now);
      } else if (meta->cp_reason == PacketMeta::kToControlOverlay && meta->port >= 1 && publisher_.current()) {
        overlay_.on_handshake(pkts[i], static_cast<uint8_t>(meta->port - 1), *publisher_.current(), now);
      } else if (meta->cp_reason == PacketMeta::kToControlOverlayProbe && meta->port >= 1) {
        overlay_.on_path_reply(pkts[i], static_cast<uint8_t>(meta->port - 1), now);
      } else if (meta->cp_reason == PacketMeta::kToControlProbe) {
        if (meta->port >= 1) monitor_.on_probe_reply(pkts[i], static_cast<uint8_t>(meta->port - 1), now);
        rte_pktmbuf_free(pkts[i]);
      } else {
        rte_pktmbuf_free(pkts[i]);
      }
    }
    if (n < 32) break;
  }
}

void ControlPlane::health_tick(uint64_t now) {
  monitor_.send_probes(now, neighbours_.gateways());
  if (now - last_sample_ >= kSampleMs * clock_.ms()) {
    last_totals_ = sum_counters(rt_.workers);
    monitor_.sample_traffic(now, last_totals_);
    overlay_.sample(last_totals_, now);
    if (budget_tick(last_totals_)) dirty_ = true;  // replanned below: classes leave (or return to) the link
    double moved[kMaxClasses];
    std::fill(std::begin(moved), std::end(moved), -1.0);
    if (steering_.timing().sample(now, last_totals_, policy_.classes.size(), moved) > 0)
      for (size_t c = 0; c < kMaxClasses; c++)
        if (moved[c] >= 0) drill_.on_move(c, moved[c]);
    last_sample_ = now;
  }
  monitor_.evaluate(now);
  overlay_tick(now);
  steering_.account_backup(now);
  if (drill_.due(now))
    finish_drill(now);
  else
    drill_.sample(now, steering_.plan(), [&](uint8_t l) {
      return monitor_.probing(l) ? std::optional<LinkMetrics>(monitor_.metrics(l)) : std::nullopt;
    });
  replan(now);
  if (dirty_) publish();
}

// The overlay session's timers; new keys (a handshake completed, a keypair expired) are published, and the plan
// follows: the overlay works over a link only while there is a send key.
void ControlPlane::overlay_tick(uint64_t now) {
  if (!overlay_.enabled() || publisher_.current() == nullptr) return;
  overlay_.learn_endpoints(rt_.workers, now);
  overlay_.tick(now, usable(), *publisher_.current());
  if (overlay_.generation() != overlay_generation_) {
    overlay_generation_ = overlay_.generation();
    dirty_ = true;
  }
}

void ControlPlane::tick() {
  const uint64_t now = clock_.now();
  monitor_.note_tick(now);  // before the replies: a stall voids the probes it affected first
  process_from_workers(now);
  dhcp_.tick(now);
  neighbours_.refresh_gateways(now);
  neighbours_.tick_held(now);
  health_tick(now);
  record_history(now);
  rebuild_neighbor_table();
  if (dirty_) publish();
}

void ControlPlane::rebuild_neighbor_table() {
  if (!neighbors_dirty_) return;
  std::string err;
  if (auto nt = neighbours_.build_table(&err)) {
    neighbor_table_ = std::move(nt);
    dirty_ = true;
  } else {
    fmt::print(stderr, "wansteer: {}\n", err);
  }
  neighbors_dirty_ = false;
}

void ControlPlane::run(const std::atomic<bool>& stop, std::atomic<bool>& reload, CtlServer* ctl) {
  while (!stop.load(std::memory_order_relaxed)) {
    tick();
    if (reload.exchange(false)) reload_on_signal();
    if (ctl != nullptr) ctl->poll([this](const std::string& line) { return handle_command(line); });
    if (metrics_ != nullptr) {
      metrics_->serve_pending([this] { return metrics_snapshot(); });
      metrics_->serve_status_pending([this] { return status_snapshot(); });
    }
    rte_delay_us_sleep(1000);
  }
}

void ControlPlane::drain_rings() {
  void* p;
  while (rte_ring_dequeue(rt_.to_control, &p) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(p));
  while (rte_ring_dequeue(rt_.from_control, &p) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(p));
  neighbours_.drop_held();
}

std::string ControlPlane::top_flows(size_t n, bool json) {
  // Flows are stamped with the workers' TSC, whatever the control plane's clock.
  return render_top_flows(gather_top_flows(rt_.workers, n), policy_, rte_rdtsc(), rte_get_tsc_hz(), json);
}

std::string ControlPlane::set_link_admin(const std::string& name, bool up) {
  const int l = policy_.link_index(name);
  if (l < 0) {
    std::string names;
    for (const auto& ls : policy_.links) names += (names.empty() ? "" : ", ") + ls.name;
    return fmt::format("error: unknown link \"{}\" (links: {})\n", name, names);
  }
  if (drill_.active() && drill_.link() == l)
    return fmt::format("error: a drill is running on {}; `wansteerctl drill stop` ends it\n", name);
  const bool was = monitor_.admin_up(l);
  if (monitor_.set_admin(l, up, up ? "admin_up" : "admin_down")) {
    Event e = health_event("admin", monitor_.metrics(l));
    e.link = name;
    e.from = was ? "up" : "down";
    e.to = up ? "up" : "down";
    e.cause = up ? "admin_up" : "admin_down";
    events_.emit(std::move(e));
  }
  replan(clock_.now());
  publish();
  fmt::print("wansteer: link {} administratively {} (was {})\n", name, up ? "up" : "down", was ? "up" : "down");
  std::fflush(stdout);
  return fmt::format("link {}: admin {}\n", name, up ? "up" : "down");
}

std::string ControlPlane::drill_start(const std::string& name, const std::string& seconds) {
  if (drill_.active())
    return fmt::format("error: a drill on {} is running; `drill stop` ends it\n", link_name(drill_.link()));
  const int l = policy_.link_index(name);
  if (l < 0) return fmt::format("error: unknown link \"{}\"\n", name);
  char* end = nullptr;
  const unsigned long secs = std::strtoul(seconds.c_str(), &end, 10);
  if (end == seconds.c_str() || *end != '\0' || secs < 1 || secs > Drill::kMaxSeconds)
    return fmt::format("error: drill duration \"{}\" must be whole seconds from 1 to {}\n", seconds,
                       Drill::kMaxSeconds);
  if (!monitor_.admin_up(l)) return fmt::format("error: link {} is administratively down already\n", name);
  const uint64_t now = clock_.now();
  drill_.start(static_cast<uint8_t>(l), secs, now, sum_counters(rt_.workers), steering_.plan());
  Event e = health_event("drill", monitor_.metrics(l));
  e.link = name;
  e.cause = fmt::format("drill_start_{}s", secs);
  events_.emit(std::move(e));
  monitor_.set_admin(l, false, "drill");
  replan(now);
  publish();
  drill_.withdrawn(steering_.plan());
  return fmt::format("drill: link {} withdrawn for {} s; `wansteerctl drill status` shows the report\n", name, secs);
}

std::string ControlPlane::drill_stop(bool json) {
  if (!drill_.active()) return "error: no drill is running\n";
  finish_drill(clock_.now());
  return json ? drill_.report_json().dump() + "\n" : drill_.report_text();
}

void ControlPlane::finish_drill(uint64_t now) {
  drill_.finish(now, sum_counters(rt_.workers));
  const uint8_t l = drill_.link();
  monitor_.set_admin(l, true, "admin_up");
  Event e = health_event("drill", monitor_.metrics(l));
  e.link = link_name(l);
  e.cause = "drill_end";
  events_.emit(std::move(e));
  replan(now);
  publish();
  fmt::print("wansteer: {}", drill_.report_text());
  std::fflush(stdout);
}

}  // namespace wansteer
