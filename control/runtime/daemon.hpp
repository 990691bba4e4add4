// The wansteer daemon's life: check a policy file, or run the edge (policy, EAL, metrics, data plane, control
// thread) until SIGINT/SIGTERM and stop it in order. Returns the process exit status.
#pragma once
#include <string>

#include "control/runtime/daemon_options.hpp"

namespace wansteer {

// --check FILE: prints each problem as FILE:LINE:COLUMN: reason, or a one-line summary. 0 when valid, else 1.
int check_policy_file(const std::string& path);

// Runs the edge with these options. 0 after an orderly stop, 1 when start-up fails, 2 for contradicting options.
int run_daemon(const DaemonOptions& options);

}  // namespace wansteer
