// wansteer daemon: loads the policy, starts DPDK ports and worker lcores, runs the control thread until a
// signal, then stops, closes ports and prints final counters.
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <boost/program_options.hpp>

#include "control/operations/commands.hpp"
#include "control/operations/ctl_server.hpp"
#include "control/operations/metrics.hpp"
#include "control/policy/policy.hpp"
#include "control/runtime/control_plane.hpp"
#include "control/runtime/eal_args.hpp"
#include "dataplane/egress.hpp"
#include "dataplane/setup/ports.hpp"
#include "dataplane/worker.hpp"

namespace po = boost::program_options;
using namespace wansteer;

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};
std::atomic<bool> g_workers_stop{false};

void on_signal(int sig) {
  if (sig == SIGHUP)
    g_reload.store(true);
  else
    g_stop.store(true);
}

const std::string kUsage =
    std::string(
        "wansteer: SD-WAN edge data plane. Steers each application class (VoIP, Microsoft 365, payments, guest,\n"
        "default) from the office LAN to the WAN links its policy allows, and moves it when a link goes away.\n"
        "\n"
        "Usage:\n"
        "  wansteer --policy FILE [options] [-- EAL-ARGS...]   run the edge\n"
        "  wansteer --check FILE                               validate a policy file and exit\n"
        "\n"
        "Ports come from the policy (lan.device, links[].device): a DPDK vdev string such as\n"
        "\"net_af_packet0,iface=eth1\" (added to EAL as --vdev automatically) or a PCI address of a NIC bound to\n"
        "vfio-pci. Without EAL-ARGS wansteer uses: -l 0-WORKERS --no-pci --huge-unlink (and --no-huge when no\n"
        "huge pages are free). With a NIC, pass e.g.: -- -l 0-2 -a 0000:03:00.0 -a 0000:03:00.1\n"
        "\n"
        "Prometheus metrics are served on http://127.0.0.1:9469/metrics unless --no-metrics (policy key\n"
        "metrics.listen, or --metrics, picks another address; --metrics wins).\n"
        "\n"
        "Every link is probed through itself (policy probing:/probe:, STAMP or ICMP); each class follows its SLA.\n"
        "Each link-state, SLA and steering change is printed as one line: wansteer: event {json}.\n\n"
        "Operate it with wansteerctl (same --ctl socket):\n") +
    ctl_help_lines() +
    "SIGHUP reloads the policy (an invalid file is rejected and the running policy stays); SIGINT/SIGTERM\n"
    "stop it and print the final counters.\n"
    "\n"
    "Options";

int run(int argc, char** argv) {
  // Everything after "--" belongs to the EAL.
  std::vector<std::string> eal_user;
  int own_argc = argc;
  for (int i = 1; i < argc; i++) {
    if (std::string(argv[i]) == "--") {
      own_argc = i;
      for (int j = i + 1; j < argc; j++) eal_user.emplace_back(argv[j]);
      break;
    }
  }
  po::options_description opts(kUsage);
  opts.add_options()("help,h", "show this help")("policy,p", po::value<std::string>(),
                                                 "policy file to run (YAML; see policies/README.md)")(
      "check", po::value<std::string>(), "validate this policy file: exit 0, or print FILE:LINE:COLUMN: reason")(
      "workers,w", po::value<unsigned>()->default_value(1), "worker lcores (each polls one queue of every port)")(
      "ctl", po::value<std::string>()->default_value("/run/wansteer/wansteer.sock"), "control socket for wansteerctl")(
      "final-stats", po::value<std::string>(), "write the final counters as JSON to this file at exit")(
      "metrics", po::value<std::string>(),
      "serve Prometheus metrics on ADDR:PORT (default: the policy's "
      "metrics.listen, else 127.0.0.1:9469)")("no-metrics", "do not serve Prometheus metrics")(
      "no-fast-lane",
      "parse every LAN packet on the general path (for comparison when in doubt: the fast lane "
      "forwards cached IPv4 flows exactly as it does, only sooner)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(own_argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "wansteer: {}\n(try wansteer --help)\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  if (vm.count("check")) {
    std::string path = vm["check"].as<std::string>();
    PolicyResult r = load_policy(path);
    for (const auto& e : r.errors) fmt::print("{}\n", e.to_string());
    if (!r.ok()) return 1;
    fmt::print("{}: ok ({} links, {} classes, {} rules)\n", path, r.policy->links.size(), r.policy->classes.size(),
               r.policy->rules.size());
    return 0;
  }
  if (!vm.count("policy")) {
    fmt::print(stderr, "wansteer: --policy FILE is required (or --check FILE); see wansteer --help\n");
    return 2;
  }
  unsigned workers = vm["workers"].as<unsigned>();
  if (workers < 1 || workers > kMaxWorkers) {
    fmt::print(stderr, "wansteer: --workers must be 1..{}\n", kMaxWorkers);
    return 2;
  }
  PolicyResult pr = load_policy(vm["policy"].as<std::string>());
  if (!pr.ok()) {
    for (const auto& e : pr.errors) fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "wansteer: policy rejected, not starting\n");
    return 1;
  }
  Policy policy = std::move(*pr.policy);
  if (vm.count("metrics") && vm.count("no-metrics")) {
    fmt::print(stderr, "wansteer: --metrics and --no-metrics contradict each other; pick one\n");
    return 2;
  }
  // An address the operator chose must be served; the built-in default yields (with a warning) to another
  // wansteer already on it, so several instances (tests, a lab) can run side by side.
  bool metrics_explicit = vm.count("metrics") || policy.metrics.listen;
  std::string metrics_listen =
      vm.count("metrics") ? vm["metrics"].as<std::string>() : policy.metrics.listen.value_or(kDefaultMetricsListen);
  if (std::string why; !vm.count("no-metrics") && !valid_listen_address(metrics_listen, &why)) {
    fmt::print(stderr, "wansteer: --metrics: {}\n", why);
    return 2;
  }

  EalDefaults d;
  d.workers = workers;
  d.pid = static_cast<int>(getpid());
  d.hugepages_available = hugepages_free(256);
  if (eal_user.empty() && !d.hugepages_available)
    fmt::print(stderr, "wansteer: no free huge pages, running with --no-huge (slower; run scripts/setup.sh)\n");
  std::vector<std::string> eal_args = build_eal_args(eal_user, policy, d);
  std::vector<char*> eal_argv;
  for (auto& a : eal_args) eal_argv.push_back(a.data());
  eal_argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(eal_args.size()), eal_argv.data()) < 0) {
    fmt::print(stderr, "wansteer: EAL initialisation failed: {}\n", rte_strerror(rte_errno));
    return 1;
  }
  if (rte_lcore_count() < workers + 1) {
    fmt::print(stderr, "wansteer: {} lcores given, {} needed (main + {} workers); adjust -l\n", rte_lcore_count(),
               workers + 1, workers);
    rte_eal_cleanup();
    return 1;
  }

  std::string err;
  // After EAL init on purpose: the HTTP threads inherit the control lcore's affinity, off the worker cores.
  std::unique_ptr<MetricsExporter> metrics;
  if (!vm.count("no-metrics")) {
    metrics = MetricsExporter::start(metrics_listen, &err);
    if (!metrics && metrics_explicit) {
      fmt::print(stderr, "wansteer: {}\n", err);
      rte_eal_cleanup();
      return 1;
    }
    if (!metrics) fmt::print(stderr, "wansteer: warning: {}; running without metrics\n", err);
  }

  DataplaneRuntime rt;
  int socket = static_cast<int>(rte_socket_id());
  const unsigned n_ports = 1 + static_cast<unsigned>(policy.links.size());
  // Shaper queues hold packets too: allow 2048 per link (a 100 Mbit/s link queues ~420 per class at 50 ms).
  const unsigned n_mbufs = n_ports * workers * (1024 + 1024 + 2 * kBurst) + workers * 512 + 4096 +
                           static_cast<unsigned>(policy.links.size()) * 2048;
  rt.pool = create_packet_pool("wansteer_pkts", n_mbufs, socket, &err);
  if (rt.pool == nullptr) {
    fmt::print(stderr, "wansteer: {}\n", err);
    return 1;
  }
  auto start_port = [&](const std::string& what, const std::string& device, uint16_t* id) {
    if (!find_port(device, id, &err) || !port_start(*id, static_cast<uint16_t>(workers), rt.pool, &err)) {
      fmt::print(stderr, "wansteer: {} ({}): {}\n", what, device, err);
      return false;
    }
    return true;
  };
  bool ok = start_port("lan", policy.lan.device, &rt.lan_port);
  rte_eth_macaddr_get(rt.lan_port, &rt.lan_mac);
  for (size_t l = 0; ok && l < policy.links.size(); l++) {
    ok = start_port("link " + policy.links[l].name, policy.links[l].device, &rt.link_port[l]);
    if (ok) rte_eth_macaddr_get(rt.link_port[l], &rt.link_mac[l]);
  }
  rt.to_control = rte_ring_create("ws_to_control", 1024, socket, RING_F_SC_DEQ);
  rt.from_control = rte_ring_create("ws_from_control", 1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
  size_t qsbr_size = rte_rcu_qsbr_get_memsize(workers);
  rt.qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("ws_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE));
  if (ok && (rt.to_control == nullptr || rt.from_control == nullptr || rt.qsbr == nullptr ||
             rte_rcu_qsbr_init(rt.qsbr, workers) != 0)) {
    fmt::print(stderr, "wansteer: cannot allocate rings or RCU state\n");
    ok = false;
  }
  for (unsigned i = 0; ok && i < workers; i++) {
    auto* w = new WorkerContext();
    w->worker_id = static_cast<uint16_t>(i);
    w->n_ports = static_cast<uint8_t>(n_ports);
    w->port_ids[0] = rt.lan_port;
    for (size_t l = 0; l < policy.links.size(); l++) w->port_ids[l + 1] = rt.link_port[l];
    w->slot = &rt.slot;
    w->qsbr = rt.qsbr;
    w->to_control = rt.to_control;
    w->from_control = i == 0 ? rt.from_control : nullptr;
    w->stop = &g_workers_stop;
    w->flows = FlowCache::create(fmt::format("ws_flows{}", i), policy.flow_cache.size, socket, &err);
    w->fast_lane = !vm.count("no-fast-lane");
    rt.workers.push_back(w);
    if (!w->flows) {
      fmt::print(stderr, "wansteer: {}\n", err);
      ok = false;
    }
  }
  // Several workers: WAN link k's meters and shaper belong to worker k % workers, others hand packets over.
  std::vector<rte_ring*> handoff_rings;
  if (ok && !egress_rings_create(rt.workers, static_cast<uint32_t>(policy.links.size()), socket, handoff_rings, &err)) {
    fmt::print(stderr, "wansteer: {}\n", err);
    ok = false;
  }
  std::optional<ControlPlane> cp;
  CtlServer ctl;
  if (ok) {
    cp.emplace(std::move(policy), rt);
    cp->set_metrics(metrics.get());
    if (!cp->start(&err) || !ctl.open(vm["ctl"].as<std::string>(), &err)) {
      fmt::print(stderr, "wansteer: {}\n", err);
      ok = false;
    }
  }
  int rc = ok ? 0 : 1;
  if (ok) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    unsigned i = 0;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
      if (i >= workers) break;
      rte_eal_remote_launch(worker_main, rt.workers[i++], lcore);
    }
    fmt::print("wansteer: running: policy {} ({} links, {} classes), {} worker(s), control socket {}, metrics {}\n",
               cp->policy().path, cp->policy().links.size(), cp->policy().classes.size(), workers,
               vm["ctl"].as<std::string>(),
               metrics ? fmt::format("http://{}/metrics", metrics->listen()) : std::string("off"));
    std::fflush(stdout);
    cp->run(g_stop, g_reload, &ctl);
    g_workers_stop.store(true);
    rte_eal_mp_wait_lcore();
    cp->drain_rings();
    egress_rings_free(handoff_rings);
  }
  // Close ports: pcap output files are completed and rx rings give their mbufs back to the pool.
  uint16_t pid;
  RTE_ETH_FOREACH_DEV(pid) port_stop_close(pid);
  if (cp) {
    StatsView v = cp->stats_view();
    fmt::print("\nwansteer: stopped. Final counters:\n{}", counters_text(v));
    if (vm.count("final-stats")) {
      std::ofstream out(vm["final-stats"].as<std::string>());
      out << counters_json(v) << "\n";
    }
    std::fflush(stdout);
    cp.reset();
  }
  egress_rings_free(handoff_rings);  // no-op unless start-up failed before the workers ran
  for (WorkerContext* w : rt.workers) delete w;
  rte_ring_free(rt.to_control);
  rte_ring_free(rt.from_control);
  rte_free(rt.qsbr);
  rte_mempool_free(rt.pool);
  rte_eal_cleanup();
  // Not destroyed on purpose: civetweb's shutdown waits out its 2 s poll quantum, and wansteer promises to stop
  // within 1 s of SIGTERM. Its threads touch only the exporter's own state, which stays alive until exit.
  (void)metrics.release();
  return rc;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
