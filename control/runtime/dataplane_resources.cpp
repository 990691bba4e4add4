// DataplaneResources implementation: the daemon's DPDK set-up steps and their release.
#include "control/runtime/dataplane_resources.hpp"

#include <fmt/format.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/egress.hpp"
#include "dataplane/nat_handoff.hpp"
#include "dataplane/setup/memif_guard.hpp"
#include "dataplane/setup/ports.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

DataplaneResources::~DataplaneResources() {
  stop_workers();
  memif_guard_release();  // before the RCU state it waits on goes
  free_handoff_rings();   // no-op unless start-up failed before the workers ran
  for (WorkerContext* w : rt_.workers) delete w;
  rte_ring_free(rt_.to_control);
  rte_ring_free(rt_.from_control);
  rte_free(rt_.qsbr);
  rte_mempool_free(rt_.pool);
  rte_mempool_free(rt_.frag_direct);
  rte_mempool_free(rt_.frag_indirect);
}

bool DataplaneResources::setup(const Policy& policy, unsigned workers, const WorkerOptions& opts, IdleWakes wakes,
                               std::string* error) {
  workers_ = workers;
  socket_ = static_cast<int>(rte_socket_id());
  if (!create_pool(policy, error) || !start_ports(policy, error) || !create_rings(error) ||
      !create_workers(policy, opts, error))
    return false;
  for (size_t i = 0; i < wakes.size() && i < rt_.workers.size(); i++) rt_.workers[i]->wake = std::move(wakes[i]);
  for (WorkerContext* w : rt_.workers)
    for (size_t i = 0; i < rt_.workers.size() && i < kMaxWorkers; i++) w->wake_of[i] = rt_.workers[i]->wake.get();
  guard_memif_ports(policy);
  // Several workers: WAN link k's meters and shaper belong to worker k % workers, others hand packets over; a
  // NAT reply that RSS gives to another worker goes to the session's owner (its port % workers) the same way.
  return egress_rings_create(rt_.workers, static_cast<uint32_t>(policy.links.size()), socket_, handoff_rings_, error) &&
         nat_handoff_rings_create(rt_.workers, socket_, handoff_rings_, error);
}

bool DataplaneResources::create_pool(const Policy& policy, std::string* error) {
  const unsigned n_ports = 1 + static_cast<unsigned>(policy.links.size());
  // Shaper queues hold packets too: allow 2048 per link (a 100 Mbit/s link queues ~420 per class at 50 ms).
  const unsigned n_mbufs = n_ports * workers_ * (1024 + 1024 + 2 * kBurst) + workers_ * 512 + 4096 +
                           static_cast<unsigned>(policy.links.size()) * 2048;
  rt_.pool = create_packet_pool("wansteer_pkts", n_mbufs, socket_, error);
  // Fragments: a burst of the largest packets (17 fragments each) per worker, twice over for what waits in tx.
  const unsigned n_frag = workers_ * 2 * kBurst * 17 + 1024;
  return rt_.pool != nullptr && create_fragment_pools(n_frag, socket_, &rt_.frag_direct, &rt_.frag_indirect, error);
}

bool DataplaneResources::start_ports(const Policy& policy, std::string* error) {
  auto start_port = [&](const std::string& what, const std::string& device, uint16_t* id) {
    std::string why;
    if (!find_port(device, id, &why) || !port_start(*id, static_cast<uint16_t>(workers_), rt_.pool, &why)) {
      *error = fmt::format("{} ({}): {}", what, device, why);
      return false;
    }
    return true;
  };
  if (!start_port("lan", policy.lan.device, &rt_.lan_port)) return false;
  rte_eth_macaddr_get(rt_.lan_port, &rt_.lan_mac);
  for (size_t l = 0; l < policy.links.size(); l++) {
    if (!start_port("link " + policy.links[l].name, policy.links[l].device, &rt_.link_port[l])) return false;
    rte_eth_macaddr_get(rt_.link_port[l], &rt_.link_mac[l]);
  }
  return true;
}

bool DataplaneResources::create_rings(std::string* error) {
  rt_.to_control = rte_ring_create("ws_to_control", 1024, socket_, RING_F_SC_DEQ);
  rt_.from_control = rte_ring_create("ws_from_control", 1024, socket_, RING_F_SP_ENQ | RING_F_SC_DEQ);
  size_t qsbr_size = rte_rcu_qsbr_get_memsize(workers_);
  rt_.qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc("ws_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE));
  if (rt_.to_control == nullptr || rt_.from_control == nullptr || rt_.qsbr == nullptr ||
      rte_rcu_qsbr_init(rt_.qsbr, workers_) != 0) {
    *error = "cannot allocate rings or RCU state";
    return false;
  }
  return true;
}

bool DataplaneResources::create_workers(const Policy& policy, const WorkerOptions& opts, std::string* error) {
  for (unsigned i = 0; i < workers_; i++) {
    auto* w = new WorkerContext();
    rt_.workers.push_back(w);  // owned from here on, freed by the destructor whatever happens next
    w->worker_id = static_cast<uint16_t>(i);
    w->n_ports = static_cast<uint8_t>(1 + policy.links.size());
    w->port_ids[0] = rt_.lan_port;
    for (size_t l = 0; l < policy.links.size(); l++) w->port_ids[l + 1] = rt_.link_port[l];
    w->slot = &rt_.slot;
    w->qsbr = rt_.qsbr;
    w->to_control = rt_.to_control;
    w->from_control = i == 0 ? rt_.from_control : nullptr;
    w->stop = &workers_stop_;
    w->flows = FlowCache::create(fmt::format("ws_flows{}", i), policy.flow_cache.size, socket_, error);
    w->fast_lane = opts.fast_lane;
    w->adaptive_poll = opts.adaptive_poll;
    if (opts.max_nap_ns != 0) w->max_nap_ns = opts.max_nap_ns;
    w->frag_direct = rt_.frag_direct;
    w->frag_indirect = rt_.frag_indirect;
    if (!w->flows) return false;
    w->nat = NatSessionTable::create(fmt::format("ws_nat{}", i), policy.nat.sessions, w->worker_id,
                                     static_cast<uint16_t>(workers_), socket_, error);
    if (!w->nat) return false;
    w->overlay = std::make_unique<OverlayCore>(w->worker_id);
    if (!w->overlay->valid()) {
      *error = "cannot set up the overlay's ChaCha20-Poly1305 context (libcrypto)";
      return false;
    }
  }
  return true;
}

// Before rte_eal_init on purpose: the kernel hands an interface's frames to its newest packet socket first. Older
// than the af_packet PMD's sockets, a doorbell sees a frame only once it is in the PMD's ring, so a frame whose
// doorbell byte arm() empties is there for the worker's last look (made later, a doorbell could be emptied before
// the PMD had the frame, which would then wait for the next wake).
// Several workers: each has a doorbell on every interface, since it polls a queue of every port and a doorbell sees
// the whole interface, not one queue. A frame so wakes every sleeping worker; those whose queue did not get it find
// nothing and sleep again after the 25 us spin (bench/README.md measures the cost). What one worker hands another
// (egress and NAT hand-off rings) rings no doorbell: the sender kicks the receiver (wake_worker, worker.hpp).
IdleWakes DataplaneResources::make_idle_wake(const Policy& policy, unsigned workers, const WorkerOptions& opts) {
  if (!opts.adaptive_poll) return {};
  const char* who = workers == 1 ? "idle worker naps" : "idle workers nap";
  if (!opts.wake_on_rx) {
    fmt::print("wansteer: {} on a timer (--no-wake-on-rx)\n", who);
    return {};
  }
  std::vector<std::string> devices{policy.lan.device};
  for (const auto& link : policy.links) devices.push_back(link.device);
  for (const std::string& d : devices) {
    if (doorbell_iface(d).empty()) {
      fmt::print("wansteer: {} on a timer: port {} cannot wake it (only af_packet ports can)\n", who, d);
      return {};
    }
  }
  std::string why;
  IdleWakes wakes;
  for (unsigned w = 0; w < workers; w++) {
    std::unique_ptr<IdleWake> wake = IdleWake::create(&why);
    for (size_t i = 0; wake && i < devices.size(); i++)
      if (!wake->add_doorbell(doorbell_iface(devices[i]), &why)) wake.reset();
    if (!wake) {
      fmt::print(stderr, "wansteer: warning: {} on a timer: no doorbell ({})\n", who, why);
      return {};
    }
    wakes.push_back(std::move(wake));
  }
  if (workers == 1)
    fmt::print("wansteer: idle worker sleeps until a packet arrives ({} doorbells)\n", wakes[0]->doorbells());
  else
    fmt::print("wansteer: idle workers sleep until a packet arrives ({} workers, {} doorbells each)\n", workers,
               wakes[0]->doorbells());
  return wakes;
}

void DataplaneResources::launch_workers() {
  unsigned i = 0;
  unsigned lcore;
  RTE_LCORE_FOREACH_WORKER(lcore) {
    if (i >= workers_) break;
    rte_eal_remote_launch(worker_main, rt_.workers[i++], lcore);
  }
  launched_ = true;
}

void DataplaneResources::stop_workers() {
  if (!launched_) return;
  workers_stop_.store(true);
  for (WorkerContext* w : rt_.workers)  // a sleeping worker sees the flag now, not at its sleep's timeout
    if (w->wake) w->wake->kick();
  rte_eal_mp_wait_lcore();
  launched_ = false;
  memif_guard_release();  // no worker polls any more: closing the ports needs no grace period
  if (memif_guarded_)
    fmt::print("wansteer: memif guard: {} unmaps of departed peers waited for the workers\n", memif_guard_waits());
}

void DataplaneResources::guard_memif_ports(const Policy& policy) {
  bool any = is_memif_device(policy.lan.device);
  for (const auto& link : policy.links) any = any || is_memif_device(link.device);
  std::string why;
  if (!any) return;
  memif_guarded_ = memif_guard_install(rt_.qsbr, &why);
  if (memif_guarded_)
    fmt::print("wansteer: memif ports: a disconnecting peer's regions are unmapped only after a worker grace period\n");
  else
    fmt::print(stderr,
               "wansteer: warning: memif guard not installed ({}): a peer disconnecting under traffic may crash "
               "the data plane\n",
               why);
}

void DataplaneResources::free_handoff_rings() { egress_rings_free(handoff_rings_); }

void DataplaneResources::close_ports() {
  uint16_t pid;
  RTE_ETH_FOREACH_DEV(pid) port_stop_close(pid);
}

}  // namespace wansteer
