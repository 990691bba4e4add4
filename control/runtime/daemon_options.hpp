// The wansteer daemon's command line: its options as a struct, parsed and checked before anything starts.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace wansteer {

struct DaemonOptions {
  std::vector<std::string> check_paths;  // --check FILE...: validate each and exit
  bool strict = false;                   // --strict: with --check, warnings fail the file too
  std::string against;                   // --against RUNNING.yaml: with --check, the diff from it too
  std::string explain_path;              // --explain FILE: what the policy does per scenario, and exit
  bool explain_markdown = false;         // --format markdown
  std::string policy_path;               // --policy FILE
  unsigned workers = 1;
  std::string ctl_path = "/run/wansteer/wansteer.sock";
  std::optional<std::string> final_stats_path;
  std::string state_dir = "/var/lib/wansteer";  // --state-dir: budget state files
  std::optional<std::string> metrics_listen;    // --metrics ADDR:PORT
  bool no_metrics = false;
  bool fast_lane = true;
  uint64_t max_nap_us = 0;  // --max-nap-us: an idle worker's longest nap; 0 = the default
  bool busy_poll = false;   // --busy-poll: workers spin at 100 % of a core even when idle (no adaptive polling)
  bool wake_on_rx = true;   // --no-wake-on-rx: idle workers nap on a timer even where a packet could wake them
  std::vector<std::string> eal_user;  // everything after "--"
};

// Parses argv into `*out`. Returns the exit status when the program should stop now: 0 after --help (printed
// with `usage` as its heading) or --version, 2 for a bad command line (with the message on stderr); nothing to go
// on.
std::optional<int> parse_daemon_options(int argc, char** argv, const char* usage, DaemonOptions* out);

}  // namespace wansteer
