// The wansteer daemon's life: run the edge (policy, EAL, metrics, data plane, control
// thread) until SIGINT/SIGTERM and stop it in order. Returns the process exit status.
#pragma once
#include "control/runtime/daemon_options.hpp"

namespace wansteer {

// Runs the edge with these options. 0 after an orderly stop, 1 when start-up fails, 2 for contradicting options.
int run_daemon(const DaemonOptions& options);

}  // namespace wansteer
