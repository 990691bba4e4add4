// The wansteer daemon's life: check a policy file, or run the edge (policy, EAL, metrics, data plane, control
// thread) until SIGINT/SIGTERM and stop it in order. Returns the process exit status.
#pragma once
#include <string>
#include <vector>

#include "control/runtime/daemon_options.hpp"

namespace wansteer {

// --check FILE...: checks every file; prints each problem as FILE:LINE:COLUMN: reason and then "FILE: invalid (N
// errors)" on stderr, or "FILE: ok (summary)" on stdout. 0 when every file is valid, else 1.
int check_policy_files(const std::vector<std::string>& paths);

// Runs the edge with these options. 0 after an orderly stop, 1 when start-up fails, 2 for contradicting options.
int run_daemon(const DaemonOptions& options);

}  // namespace wansteer
