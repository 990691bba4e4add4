// ControlPlane: the control thread's loop. Owns the parts (neighbours, DHCP clients, link monitor, steering state,
// drill, snapshot publisher) and ticks them; answers operator commands and reloads the policy.
#pragma once
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/budget/link_budgets.hpp"
#include "control/common/clock.hpp"
#include "control/health/link_monitor.hpp"
#include "control/operations/command_dispatch.hpp"
#include "control/operations/drill.hpp"
#include "control/operations/link_history.hpp"
#include "control/operations/stats.hpp"
#include "control/policy/policy.hpp"
#include "control/policy/policy_diff.hpp"
#include "control/runtime/dataplane_runtime.hpp"
#include "control/runtime/dhcp_links.hpp"
#include "control/runtime/neighbours.hpp"
#include "control/runtime/overlay_control.hpp"
#include "control/runtime/snapshot_publisher.hpp"
#include "control/steering/events.hpp"
#include "control/steering/steering_state.hpp"

namespace wansteer {

class Classifier;
class CtlServer;
class MetricsExporter;
struct MetricsSnapshot;
struct StatusSnapshot;

class ControlPlane final : public OperatorActions {
 public:
  // `clock` (not owned; nullptr: the TSC) is where every part gets the time.
  ControlPlane(Policy policy, DataplaneRuntime& rt, const Clock* clock = nullptr);
  ~ControlPlane() override;

  // Compiles the policy and publishes the first snapshot. False with *error on failure.
  bool start(std::string* error);

  // Runs until `stop` is set. `reload` is set by SIGHUP: the policy file is reloaded.
  void run(const std::atomic<bool>& stop, std::atomic<bool>& reload, CtlServer* ctl);
  // One pass of the loop (without the socket, the exporter and the sleep): frames from workers, gateways,
  // probes and health, drill, steering, publishing.
  void tick();

  // One operator command (from the control socket); returns the text to send back.
  std::string handle_command(const std::string& line) { return dispatch_command(line, *this); }

  // Frees every mbuf still in the hand-off rings and held for ARP (at shutdown, after workers stopped).
  void drain_rings();

  StatsView stats_view() override;  // control/operations/status_view.cpp
  const Policy& policy() const { return policy_; }

  // The exporter run() serves scrapes for (nullptr: none). Not owned.
  void set_metrics(MetricsExporter* m) { metrics_ = m; }
  // What a scrape reports now (control/operations/metrics_view.cpp).
  MetricsSnapshot metrics_snapshot();
  // What the status page shows now (control/operations/status_page_view.cpp).
  StatusSnapshot status_snapshot();

  const EventLog& events() const { return events_; }
  const FailoverTiming& failover_timing() const { return steering_.timing(); }
  const Neighbours& neighbours() const { return neighbours_; }
  const DhcpLinks& dhcp_links() const { return dhcp_; }
  const LinkMonitor& link_monitor() const { return monitor_; }
  const LinkBudgets& budgets() const { return budgets_; }
  // The overlay to the hub now (`wansteerctl show overlay`, metrics).
  OverlayView overlay_view() const override { return overlay_.view(clock_.now()); }
  // The metered links' data budgets now (name, used, budget, period end, state), for views and the status page.
  std::vector<BudgetView> budget_views() const { return budgets_.views(); }
  // Where budget state files live (--state-dir); before start().
  void set_state_dir(std::string dir) { budgets_.set_state_dir(std::move(dir)); }
  // Counts the last bytes and writes every budget's state file now (at shutdown, after the workers stopped).
  void save_budgets();

  // Operator actions (command_dispatch.hpp).
  std::vector<Event> recent_events(size_t n) const override { return events_.recent(n); }
  std::vector<Neighbours::Row> lan_neighbors() const override { return neighbours_.rows(); }
  std::string top_flows(size_t n, bool json) override;
  std::string set_link_admin(const std::string& name, bool up) override;
  // `reload` from the control socket (control/runtime/policy_reload.cpp): re-reads the policy file, applies
  // what a reload can (nothing with dry_run), logs one line and answers with the changes, text or JSON.
  std::string reload_policy(bool dry_run, bool json) override;
  // SIGHUP: the same reload, logged (with the reply) on stdout, refusals on stderr.
  void reload_on_signal();
  // The second half of a reload, for a policy already read and validated: checks that it binds the same ports,
  // then replaces the running one (answers "error: ..." and keeps the running policy otherwise).
  std::string adopt_policy(Policy np);
  std::string drill_start(const std::string& link, const std::string& seconds) override;
  std::string drill_stop(bool json) override;
  std::string drill_status(bool json) override { return drill_.status(clock_.now(), json); }

 private:
  void process_from_workers(uint64_t now);
  void report_arp_conflict(const Neighbours::ArpFacts& f, uint8_t port);
  void apply_lease(uint8_t l, const dhcp::Change& c, uint64_t now);  // control/runtime/lease_apply.cpp
  void health_tick(uint64_t now);
  void overlay_tick(uint64_t now);
  void record_history(uint64_t now);  // a LinkHistory sample per link when one is due (status_page_view.cpp)
  bool budget_tick(const CounterTotals& totals);  // true when a link's budget became spent or came back
  void replan(uint64_t now);
  void publish();
  void rebuild_neighbor_table();  // when neighbors_dirty_: the workers' table from Neighbours, dirty_ set
  struct ReloadOutcome;
  ReloadOutcome reload(bool dry_run);  // control/runtime/policy_reload.cpp
  ReloadOutcome adopt(Policy np, bool dry_run);
  void finish_drill(uint64_t now);
  void send_to_worker(rte_mbuf* m, uint8_t port_index);
  std::string link_name(uint8_t l) const { return steering_.link_name(l); }
  std::array<bool, kMaxLinks> usable() const;

  Policy policy_;  // first: the parts below keep a reference to it (a reload assigns it in place)
  DataplaneRuntime& rt_;
  std::unique_ptr<Clock> own_clock_;
  const Clock& clock_;
  EventLog events_;
  Neighbours neighbours_;
  DhcpLinks dhcp_;
  LinkMonitor monitor_;
  SteeringState steering_;
  LinkBudgets budgets_;
  Drill drill_;
  OverlayControl overlay_;
  uint64_t overlay_generation_ = 0;  // of the keys last published
  SnapshotPublisher publisher_;
  std::shared_ptr<const Classifier> classifier_;
  std::shared_ptr<const NeighborTable> neighbor_table_;
  uint64_t generation_ = 0;
  uint32_t policy_generation_ = 1;
  bool dirty_ = false, neighbors_dirty_ = false;
  CounterTotals last_totals_;  // the workers' counters at the last sample
  uint64_t last_sample_ = 0;
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
  MetricsExporter* metrics_ = nullptr;
  LinkHistory history_;  // the status page's graphs
};

}  // namespace wansteer
