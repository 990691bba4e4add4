// ControlPlane: the control thread. Owns link state, neighbours and the published snapshot; answers ARP,
// resolves next hops, serves the control socket, and publishes new snapshots with RCU.
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rte_ether.h>

#include "control/health/link_health.hpp"
#include "control/health/prober.hpp"
#include "control/operations/stats.hpp"
#include "control/policy/policy.hpp"
#include "control/steering/events.hpp"
#include "control/steering/planner.hpp"
#include "dataplane/snapshot.hpp"

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

namespace wansteer {

// An event carrying a link's measurements at the moment of the decision.
inline Event health_event(std::string kind, const LinkMetrics& m) {
  Event e;
  e.kind = std::move(kind);
  e.loss_pct = m.loss_pct;
  e.rtt_ms = m.rtt_ms;
  e.jitter_ms = m.jitter_ms;
  return e;
}

class Classifier;
class CtlServer;
class MetricsExporter;
struct MetricsSnapshot;
struct WorkerContext;

// What main() set up for the data plane; the control plane reads it and publishes into `slot`.
struct DataplaneRuntime {
  rte_mempool* pool = nullptr;
  uint16_t lan_port = 0;
  uint16_t link_port[kMaxLinks] = {};
  rte_ether_addr lan_mac{};
  rte_ether_addr link_mac[kMaxLinks] = {};
  rte_ring* to_control = nullptr;
  rte_ring* from_control = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  SnapshotSlot slot;
  std::vector<WorkerContext*> workers;
};

class ControlPlane {
 public:
  ControlPlane(Policy policy, DataplaneRuntime& rt);
  ~ControlPlane();

  // Compiles the policy and publishes the first snapshot. False with *error on failure.
  bool start(std::string* error);

  // Runs until `stop` is set. `reload` is set by SIGHUP: the policy file is reloaded.
  void run(const std::atomic<bool>& stop, std::atomic<bool>& reload, CtlServer* ctl);

  // One operator command (from the control socket); returns the text to send back.
  std::string handle_command(const std::string& line);

  // Frees every mbuf still in the hand-off rings (at shutdown, after workers stopped).
  void drain_rings();

  StatsView stats_view();
  const Policy& policy() const { return policy_; }

  // The exporter run() serves scrapes for (nullptr: none). Not owned.
  void set_metrics(MetricsExporter* m) { metrics_ = m; }
  // What a scrape reports now (control/operations/metrics_view.cpp).
  MetricsSnapshot metrics_snapshot();

 private:
  void process_from_workers();
  void handle_arp(rte_mbuf* m);
  void handle_unresolved(rte_mbuf* m);
  void send_arp_request(uint8_t port_index, uint16_t vlan, const rte_ether_addr& our_mac, uint32_t our_ip,
                        uint32_t target_ip);
  void send_to_worker(rte_mbuf* m, uint8_t port_index);
  void refresh_gateways(uint64_t now_ms);
  // Probing, health, passive signal, SLA gates and re-planning; publishes when the plan changed.
  void health_tick(uint64_t now_tsc);
  void sample_counters(uint64_t now_tsc);
  PlanInput plan_input() const;
  void replan(uint64_t now_tsc);
  void rebuild_gates(const Policy* old);
  std::string steer_cause(size_t cls, uint8_t from, uint8_t to) const;
  std::string link_name(uint8_t l) const;
  void publish();
  std::shared_ptr<const NeighborTable> build_neighbors(std::string* error);
  std::string reload_policy();
  std::string set_link_admin(const std::string& name, bool up);

  Policy policy_;
  DataplaneRuntime& rt_;
  std::shared_ptr<const Classifier> classifier_;
  std::shared_ptr<const NeighborTable> neighbors_;
  uint64_t generation_ = 0;
  uint32_t policy_generation_ = 1;
  bool dirty_ = false, neighbors_dirty_ = false;

  struct Neighbor {
    rte_ether_addr mac;
    uint8_t subnet;
  };
  std::map<uint32_t, Neighbor> lan_neighbors_;  // learned from ARP and static entries
  std::map<uint32_t, uint64_t> arp_asked_ms_;   // rate limit of our ARP requests per target
  bool admin_up_[kMaxLinks];
  bool gw_resolved_[kMaxLinks];
  rte_ether_addr gw_mac_[kMaxLinks];
  uint64_t gw_asked_ms_[kMaxLinks] = {};
  uint64_t arp_replies_ = 0, arp_requests_ = 0, no_neighbor_drops_ = 0;

  // ---- link health and steering (issue: measured failover)
  std::unique_ptr<Prober> prober_;
  std::vector<std::vector<SlaGate>> gates_;  // [class][link]
  bool alive_[kMaxLinks] = {};               // liveness verdict (probes, passive signal)
  std::string link_cause_[kMaxLinks];        // why the link is in its state
  bool sla_ok_[kMaxClasses][kMaxLinks] = {};
  std::string sla_cause_[kMaxClasses][kMaxLinks];
  Plan plan_{};
  bool have_plan_ = false;
  EventLog events_;
  uint64_t tsc_hz_ = 0;
  uint64_t last_sample_tsc_ = 0, last_tick_tsc_ = 0;
  uint64_t user_tx_[kMaxLinks] = {}, rx_[kMaxLinks] = {};
  uint64_t tx_change_tsc_[kMaxLinks] = {}, rx_change_tsc_[kMaxLinks] = {}, tx_start_tsc_[kMaxLinks] = {};
  uint64_t suspects_[kMaxLinks] = {};
  CounterTotals last_totals_;
  // Failover durations: from the steering change to the first packet of the class on its new link.
  struct PendingMove {
    bool active = false;
    uint8_t link = kNoLink;
    uint64_t since_tsc = 0, base_packets = 0;
  };
  PendingMove pending_move_[kMaxClasses];
  std::vector<double> failover_bounds_;     // histogram bucket upper bounds, seconds
  std::vector<uint64_t> failover_buckets_;  // non-cumulative counts, one more than bounds (+Inf)
  double failover_sum_s_ = 0;
  uint64_t failover_count_ = 0;
  double last_failover_s_[kMaxClasses] = {};
  double backup_seconds_[kMaxClasses] = {};
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
  MetricsExporter* metrics_ = nullptr;

  // ---- failover drill: a link withdrawn for a bounded time, then restored, with a report
  struct Drill {
    bool active = false, done = false;
    uint8_t link = kNoLink;
    uint64_t start_tsc = 0, end_tsc = 0, last_sample_tsc = 0;
    CounterTotals base;
    uint8_t from[kMaxClasses] = {};
    uint8_t to[kMaxClasses] = {};
    double move_s[kMaxClasses] = {};  // < 0: no first packet on the new link yet
    double loss_sum[kMaxClasses] = {}, rtt_sum[kMaxClasses] = {}, jitter_sum[kMaxClasses] = {};
    double loss_max[kMaxClasses] = {}, rtt_max[kMaxClasses] = {}, jitter_max[kMaxClasses] = {};
    uint32_t samples[kMaxClasses] = {};
    std::string report_text, report_json;
  };
  Drill drill_;
  std::string drill_command(const std::vector<std::string>& words, bool json);
  void drill_tick(uint64_t now_tsc);
  void drill_finish(uint64_t now_tsc);
  std::string top_flows(size_t n, bool json);

 public:
  const EventLog& events() const { return events_; }
  const std::vector<double>& failover_bounds() const { return failover_bounds_; }
  const std::vector<uint64_t>& failover_buckets() const { return failover_buckets_; }
  double failover_sum_seconds() const { return failover_sum_s_; }
  uint64_t failover_count() const { return failover_count_; }
};

}  // namespace wansteer
