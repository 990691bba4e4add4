// The daemon's start-up, serving and orderly stop, one function per step. Every step that sets something up is
// paired with a guard that releases it, so each early return tears down exactly what was set up, in order.
#include "control/runtime/daemon.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "control/operations/ctl_server.hpp"
#include "control/operations/metrics.hpp"
#include "control/policy/policy.hpp"
#include "control/runtime/control_plane.hpp"
#include "control/runtime/dataplane_resources.hpp"
#include "control/runtime/eal_args.hpp"
#include "control/runtime/scope_exit.hpp"
#include "dataplane/idle_wake.hpp"

namespace wansteer {

// The exporter run_daemon leaves running at exit (see there), held here so that it stays reachable: what is kept
// on purpose is not a leak to LeakSanitizer. External linkage, so the compiler cannot drop the store.
MetricsExporter* g_exporter_kept_until_exit = nullptr;

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void on_signal(int sig) {
  if (sig == SIGHUP)
    g_reload.store(true);
  else
    g_stop.store(true);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

std::optional<Policy> load_policy_to_run(const std::string& path) {
  PolicyResult pr = load_policy(path);
  if (!pr.ok()) {
    for (const auto& e : pr.errors) fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "wansteer: policy rejected, not starting\n");
    return std::nullopt;
  }
  for (const auto& w : pr.warnings) fmt::print(stderr, "{}\n", w.to_string());  // runs anyway, as --check allows
  return std::move(*pr.policy);
}

// Where metrics are served, and whether an operator asked for that address.
struct MetricsChoice {
  bool enabled = true;
  bool explicit_address = false;
  std::string listen;
};

// The metrics address from the options and the policy; the exit status when they cannot be honoured.
std::optional<int> choose_metrics(const DaemonOptions& o, const Policy& policy, MetricsChoice* mc) {
  if (o.metrics_listen && o.no_metrics) {
    fmt::print(stderr, "wansteer: --metrics and --no-metrics contradict each other; pick one\n");
    return 2;
  }
  // An address the operator chose must be served; the built-in default yields (with a warning) to another
  // wansteer already on it, so several instances (tests, a lab) can run side by side.
  mc->enabled = !o.no_metrics;
  mc->explicit_address = o.metrics_listen || policy.metrics.listen;
  mc->listen = o.metrics_listen.value_or(policy.metrics.listen.value_or(kDefaultMetricsListen));
  if (std::string why; mc->enabled && !valid_listen_address(mc->listen, &why)) {
    fmt::print(stderr, "wansteer: --metrics: {}\n", why);
    return 2;
  }
  return std::nullopt;
}

// The EAL for the life of this object: rte_eal_cleanup runs when it goes, if initialisation succeeded.
class EalSession {
 public:
  EalSession() = default;
  EalSession(const EalSession&) = delete;
  EalSession& operator=(const EalSession&) = delete;
  ~EalSession() {
    if (!up_) return;
    // DPDK 22.11 leaves its runtime directory (config, telemetry and mp sockets: ~1.8 MB) behind after
    // cleanup; a service that restarts would pile them up. Ours is named after our pid: remove it.
    const std::filesystem::path dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    if (dir.filename().string() == fmt::format("wansteer-{}", getpid())) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      if (ec) fmt::print(stderr, "wansteer: could not remove {}: {}\n", dir.string(), ec.message());
    }
  }

  // Initialises the EAL with the operator's arguments or our defaults; checks there are lcores for the workers.
  bool start(const DaemonOptions& o, const Policy& policy) {
    EalDefaults d;
    d.workers = o.workers;
    d.pid = static_cast<int>(getpid());
    d.hugepages_available = hugepages_free(256);
    if (o.eal_user.empty() && !d.hugepages_available)
      fmt::print(stderr, "wansteer: no free huge pages, running with --no-huge (slower; run scripts/setup.sh)\n");
    std::vector<std::string> args = build_eal_args(o.eal_user, policy, d);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
      // Some failures leave rte_errno 0 ("Success"); the most common of them, a config lock held, means another
      // DPDK process uses the same --file-prefix (our default prefix is per pid).
      fmt::print(stderr, "wansteer: EAL initialisation failed: {}\n",
                 rte_errno != 0 ? rte_strerror(rte_errno)
                                : "see the EAL lines above (\"Cannot create lock\": another DPDK process runs with "
                                  "the same --file-prefix)");
      return false;
    }
    up_ = true;
    if (rte_lcore_count() < o.workers + 1) {
      fmt::print(stderr, "wansteer: {} lcores given, {} needed (main + {} workers); adjust -l\n", rte_lcore_count(),
                 o.workers + 1, o.workers);
      return false;
    }
    return true;
  }

 private:
  bool up_ = false;
};

// Starts the exporter; false when it must run and cannot (an address the operator chose is taken).
bool start_metrics(const MetricsChoice& mc, std::unique_ptr<MetricsExporter>* out) {
  if (!mc.enabled) return true;
  std::string err;
  *out = MetricsExporter::start(mc.listen, &err);
  if (*out) return true;
  if (mc.explicit_address) {
    fmt::print(stderr, "wansteer: {}\n", err);
    return false;
  }
  fmt::print(stderr, "wansteer: warning: {}; running without metrics\n", err);
  return true;
}

void print_final_counters(ControlPlane& cp, const DaemonOptions& o) {
  StatsView v = cp.stats_view();
  fmt::print("\nwansteer: stopped. Final counters:\n{}", counters_text(v));
  if (o.final_stats_path) {
    std::ofstream out(*o.final_stats_path);
    out << counters_json(v) << "\n";
  }
  std::fflush(stdout);
}

// Runs workers and the control thread until SIGINT/SIGTERM, then stops the workers and empties their rings.
void serve(ControlPlane& cp, CtlServer& ctl, DataplaneResources& dp, const DaemonOptions& o,
           const MetricsExporter* metrics) {
  install_signal_handlers();
  dp.launch_workers();
  ScopeExit stop_workers([&] {
    dp.stop_workers();
    cp.drain_rings();
    dp.free_handoff_rings();
  });
  fmt::print("wansteer: running: policy {} ({} links, {} classes), {} worker(s), control socket {}, metrics {}\n",
             cp.policy().path, cp.policy().links.size(), cp.policy().classes.size(), o.workers, o.ctl_path,
             metrics ? fmt::format("http://{0}/metrics, status page http://{0}/status", metrics->listen())
                     : std::string("off"));
  std::fflush(stdout);
  cp.run(g_stop, g_reload, &ctl);
}

}  // namespace

int run_daemon(const DaemonOptions& o) {
  std::optional<Policy> policy = load_policy_to_run(o.policy_path);
  if (!policy) return 1;
  MetricsChoice mc;
  if (std::optional<int> rc = choose_metrics(o, *policy, &mc)) return *rc;

  const WorkerOptions wo{.fast_lane = o.fast_lane,
                         .adaptive_poll = !o.busy_poll,
                         .max_nap_ns = o.max_nap_us * 1000,
                         .wake_on_rx = o.wake_on_rx};
  // Before the EAL starts the ports: the doorbells must be older than the PMDs' sockets (see make_idle_wake).
  IdleWakes wakes = DataplaneResources::make_idle_wake(*policy, o.workers, wo);

  EalSession eal;  // declared first: cleaned up last
  if (!eal.start(o, *policy)) return 1;
  // After EAL init on purpose: the HTTP threads inherit the control lcore's affinity, off the worker cores.
  std::unique_ptr<MetricsExporter> metrics;
  // Not destroyed on purpose: civetweb's shutdown waits out its 2 s poll quantum, and wansteer promises to stop
  // within 1 s of SIGTERM. Its threads (/metrics and the status page) touch only the exporter's own state, which
  // stays alive until exit.
  ScopeExit keep_metrics([&] { g_exporter_kept_until_exit = metrics.release(); });
  if (!start_metrics(mc, &metrics)) return 1;

  DataplaneResources dp;
  std::optional<ControlPlane> cp;
  CtlServer ctl;
  // Ports close before the final counters are read (pcap outputs complete, mbufs back in the pool); then the
  // control plane goes, then the data plane's resources, then the EAL.
  ScopeExit stop_all([&] {
    DataplaneResources::close_ports();
    if (cp) cp->save_budgets();
    if (cp) print_final_counters(*cp, o);
  });
  std::string err;
  if (!dp.setup(*policy, o.workers, wo, std::move(wakes), &err)) {
    fmt::print(stderr, "wansteer: {}\n", err);
    return 1;
  }
  cp.emplace(std::move(*policy), dp.runtime());
  cp->set_state_dir(o.state_dir);
  cp->set_metrics(metrics.get());
  if (!cp->start(&err) || !ctl.open(o.ctl_path, &err)) {
    fmt::print(stderr, "wansteer: {}\n", err);
    return 1;
  }
  serve(*cp, ctl, dp, o, metrics.get());
  return 0;
}

}  // namespace wansteer
