// The memif guard (control thread, at start and stop): a memif peer that disconnects must not take the edge down
// while a worker is inside rx/tx burst on that port (DPDK 22.11's memif driver, issue 14).
#pragma once
#include <string>

struct rte_rcu_qsbr;

namespace wansteer {

// True when a policy device string names a memif port ("net_memif0,role=server,...").
bool is_memif_device(const std::string& device);

// Makes the loaded memif driver wait for a grace period of `qsbr` (every worker between two polls) before it
// unmaps a disconnected peer's regions. Call after the ports are probed, before the workers run. False with
// *why when the driver is not a loaded shared object with a munmap import (nothing changed then).
bool memif_guard_install(rte_rcu_qsbr* qsbr, std::string* why);

// Stops the waiting (the workers have stopped, qsbr is about to be freed). Safe to call when not installed.
void memif_guard_release();

// How many unmaps waited for the workers since start (for the log and the tests).
unsigned long memif_guard_waits();

}  // namespace wansteer
