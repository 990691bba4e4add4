// RingPorts: N DPDK ports backed by rings (net_ring), two queues each (one per worker of a two-worker rig), for
// tests that drive workers without lcores: inject into rx[port][queue], read tx[port][queue].
#pragma once
#include <string>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <catch2/catch.hpp>

#include "dataplane/setup/ports.hpp"

namespace wansteer::test {

template <int N>
struct RingPorts {
  rte_ring* rx[N][2] = {};
  rte_ring* tx[N][2] = {};
  uint16_t ports[N] = {};

  // Creates and starts the ports; `id` keeps DPDK names unique, `ring_size` bounds each queue.
  void open(const std::string& id, rte_mempool* pool, unsigned ring_size) {
    for (int p = 0; p < N; p++) {
      for (int q = 0; q < 2; q++) {
        const std::string n = id + "_" + std::to_string(p) + std::to_string(q);
        rx[p][q] = rte_ring_create((n + "rx").c_str(), ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        tx[p][q] = rte_ring_create((n + "tx").c_str(), ring_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
      }
      const int port =
          rte_eth_from_rings(("net_ring_" + id + "_" + std::to_string(p)).c_str(), rx[p], 2, tx[p], 2, SOCKET_ID_ANY);
      REQUIRE(port >= 0);
      ports[p] = static_cast<uint16_t>(port);
      std::string err;
      REQUIRE(port_start(ports[p], 2, pool, &err));
    }
  }
  // Stops the ports and frees the rings (the caller has taken what they hold).
  void close() {
    for (uint16_t p : ports) port_stop_close(p);
    for (auto& per_port : rx)
      for (rte_ring* r : per_port) rte_ring_free(r);
    for (auto& per_port : tx)
      for (rte_ring* r : per_port) rte_ring_free(r);
  }
};

}  // namespace wansteer::test
