// Parsing of the daemon's command line with boost::program_options: options before "--", EAL arguments after.
#include "control/runtime/daemon_options.hpp"

#include <iostream>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "dataplane/limits.hpp"

namespace po = boost::program_options;

namespace wansteer {

namespace {

po::options_description describe(const char* usage) {
  po::options_description opts(usage);
  opts.add_options()("help,h", "show this help")("version", "print the version and exit")(
      "policy,p", po::value<std::string>(), "policy file to run (YAML; see policies/README.md)")(
      "check", po::value<std::vector<std::string>>()->multitoken(),
      "validate these policy files (each one): FILE: ok on stdout, FILE:LINE:COLUMN: reason (and "
      "FILE:LINE:COLUMN: warning: reason) on stderr; exit 1 if any has errors")(
      "strict", "with --check: warnings fail the file too (exit 1)")(
      "against", po::value<std::string>(),
      "with --check: also list what each file changes from RUNNING.yaml (key: old -> new), as a reload would "
      "report it, the keys that need a restart marked")(
      "explain", po::value<std::string>(),
      "show what the policy does: per class the link, limit, priority and upstream share in normal operation, "
      "when each link fails and when each link misses the voice SLA; and its warnings")(
      "format", po::value<std::string>()->default_value("text"),
      "with --explain: text, or markdown (a runbook section to paste)")(
      "workers,w", po::value<unsigned>()->default_value(1), "worker lcores (each polls one queue of every port)")(
      "ctl", po::value<std::string>()->default_value("/run/wansteer/wansteer.sock"), "control socket for wansteerctl")(
      "final-stats", po::value<std::string>(), "write the final counters as JSON to this file at exit")(
      "state-dir", po::value<std::string>()->default_value("/var/lib/wansteer"),
      "where state kept across restarts lives (metered links' data budgets: budget-LINK.json)")(
      "metrics", po::value<std::string>(),
      "serve Prometheus metrics on ADDR:PORT (default: the policy's "
      "metrics.listen, else 127.0.0.1:9469)")("no-metrics", "do not serve Prometheus metrics")(
      "no-fast-lane",
      "parse every LAN packet on the general path (for comparison when in doubt: the fast lane "
      "forwards cached IPv4 flows exactly as it does, only sooner)")(
      "busy-poll",
      "workers poll without pause even when idle (100 % of a core each; the lowest latency). By default an "
      "idle worker naps after 25 us without work, 5 us at first, doubling up to --max-nap-us")(
      "max-nap-us", po::value<unsigned>(),
      "an idle worker's longest nap in microseconds (default 30): a packet arriving meanwhile waits up to this "
      "long plus the kernel's wake-up; longer naps cost less CPU (each nap costs a few us of it)")(
      "no-wake-on-rx",
      "nap on a timer even where arriving packets could wake an idle worker. By default a single worker whose "
      "ports are all af_packet sleeps until a frame arrives (or 100 ms), instead of --max-nap-us naps");
  return opts;
}

template <typename T>
std::optional<T> get(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? std::optional<T>(vm[name].as<T>()) : std::nullopt;
}

}  // namespace

std::optional<int> parse_daemon_options(int argc, char** argv, const char* usage, DaemonOptions* out) {
  // Everything after "--" belongs to the EAL.
  int own_argc = argc;
  for (int i = 1; i < argc; i++) {
    if (std::string(argv[i]) == "--") {
      own_argc = i;
      out->eal_user.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  po::options_description opts = describe(usage);
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
  if (vm.count("version")) {
    fmt::print("wansteer {}\n", WANSTEER_VERSION);
    return 0;
  }
  if (vm.count("check") && vm.count("explain")) {
    fmt::print(stderr, "wansteer: --check and --explain are separate commands; give one\n");
    return 2;
  }
  if ((vm.count("strict") || vm.count("against")) && !vm.count("check")) {
    fmt::print(stderr, "wansteer: --strict and --against go with --check FILE...\n");
    return 2;
  }
  if (vm.count("check")) {
    // --check takes every word after it, so `--check --strict FILE` hands it "--strict" as a file: take it back.
    out->strict = vm.count("strict") != 0;
    if (vm.count("against")) out->against = vm["against"].as<std::string>();
    const auto& words = vm["check"].as<std::vector<std::string>>();
    for (size_t i = 0; i < words.size(); i++) {
      if (words[i] == "--strict")
        out->strict = true;
      else if (words[i] == "--against" && i + 1 < words.size())  // the same for --against FILE
        out->against = words[++i];
      else
        out->check_paths.push_back(words[i]);
    }
    if (out->check_paths.empty()) {
      fmt::print(stderr, "wansteer: --check needs at least one FILE\n");
      return 2;
    }
    return std::nullopt;  // --check needs nothing else
  }
  const std::string format = vm["format"].as<std::string>();
  if (format != "text" && format != "markdown") {
    fmt::print(stderr, "wansteer: --format must be text or markdown, not \"{}\"\n", format);
    return 2;
  }
  if (vm.count("explain")) {
    out->explain_path = vm["explain"].as<std::string>();
    out->explain_markdown = format == "markdown";
    return std::nullopt;
  }
  if (!vm.count("policy")) {
    fmt::print(stderr, "wansteer: --policy FILE is required (or --check FILE, --explain FILE); see wansteer --help\n");
    return 2;
  }
  out->policy_path = vm["policy"].as<std::string>();
  out->workers = vm["workers"].as<unsigned>();
  if (out->workers < 1 || out->workers > kMaxWorkers) {
    fmt::print(stderr, "wansteer: --workers must be 1..{}\n", kMaxWorkers);
    return 2;
  }
  out->ctl_path = vm["ctl"].as<std::string>();
  out->final_stats_path = get<std::string>(vm, "final-stats");
  out->state_dir = vm["state-dir"].as<std::string>();
  out->metrics_listen = get<std::string>(vm, "metrics");
  out->no_metrics = vm.count("no-metrics") != 0;
  out->fast_lane = !vm.count("no-fast-lane");
  out->busy_poll = vm.count("busy-poll") != 0;
  out->wake_on_rx = vm.count("no-wake-on-rx") == 0;
  if (!out->wake_on_rx && out->busy_poll) {
    fmt::print(stderr, "wansteer: --no-wake-on-rx chooses how idle workers sleep; --busy-poll never sleeps\n");
    return 2;
  }
  if (vm.count("max-nap-us")) {
    const unsigned us = vm["max-nap-us"].as<unsigned>();
    if (us < 1 || us > 10000 || out->busy_poll) {
      fmt::print(stderr, "wansteer: --max-nap-us must be 1..10000, and without --busy-poll\n");
      return 2;
    }
    out->max_nap_us = us;
  }
  return std::nullopt;
}

}  // namespace wansteer
