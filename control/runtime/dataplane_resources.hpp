// DataplaneResources: what the daemon sets up in DPDK for the data plane (packet pool, ports, rings, RCU state,
// worker contexts, hand-off rings, the worker lcores), each step a call, all of it released in a safe order.
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "control/policy/policy.hpp"
#include "control/runtime/control_plane.hpp"

struct rte_ring;

namespace wansteer {

class IdleWake;
using IdleWakes = std::vector<std::unique_ptr<IdleWake>>;

// How the worker loops run, from the daemon's command line.
struct WorkerOptions {
  bool fast_lane = true;      // --no-fast-lane turns it off
  bool adaptive_poll = true;  // --busy-poll turns it off: workers never nap
  uint64_t max_nap_ns = 0;    // --max-nap-us; 0: the worker's default
  bool wake_on_rx = true;     // --no-wake-on-rx turns it off: idle workers nap on a timer even on af_packet ports
};

class DataplaneResources {
 public:
  DataplaneResources() = default;
  DataplaneResources(const DataplaneResources&) = delete;
  DataplaneResources& operator=(const DataplaneResources&) = delete;
  // Stops the workers if they still run, then frees rings, worker contexts, RCU state and the pool. Close the
  // ports first (close_ports) so their rx rings have given their mbufs back.
  ~DataplaneResources();

  // Wake on arrival (dataplane/idle_wake.hpp), one per worker, where the ports are all af_packet; none, with one
  // line saying why, where the workers nap on a timer. Call before rte_eal_init: see the definition.
  static IdleWakes make_idle_wake(const Policy& policy, unsigned workers, const WorkerOptions& opts);
  // Every set-up step in order; false with *error ("lan (DEVICE): why", ...) at the first that fails. `wakes`, from
  // make_idle_wake: worker i gets the i-th.
  bool setup(const Policy& policy, unsigned workers, const WorkerOptions& opts, IdleWakes wakes, std::string* error);
  // Starts worker i on the i-th worker lcore.
  void launch_workers();
  // Tells the workers to stop and waits for them.
  void stop_workers();
  // Frees the rings workers hand packets over by, and the packets still in them (after stop_workers).
  void free_handoff_rings();
  // Stops and closes every ethdev: pcap outputs are completed, rx rings give their mbufs back to the pool.
  static void close_ports();

  DataplaneRuntime& runtime() { return rt_; }

 private:
  bool create_pool(const Policy& policy, std::string* error);
  bool start_ports(const Policy& policy, std::string* error);
  bool create_rings(std::string* error);
  bool create_workers(const Policy& policy, const WorkerOptions& opts, std::string* error);
  // memif ports: a peer's disconnect waits for the workers before its regions are unmapped (memif_guard.hpp).
  void guard_memif_ports(const Policy& policy);

  DataplaneRuntime rt_;
  unsigned workers_ = 0;
  int socket_ = 0;
  std::vector<rte_ring*> handoff_rings_;
  std::atomic<bool> workers_stop_{false};
  bool launched_ = false;
  bool memif_guarded_ = false;
};

}  // namespace wansteer
