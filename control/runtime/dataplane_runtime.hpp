// DataplaneRuntime: what main() set up for the data plane (ports, their MACs, the hand-off rings, the RCU
// variable, the snapshot slot, the workers); the control plane reads it and publishes into `slot`.
#pragma once
#include <cstdint>
#include <vector>

#include <rte_ether.h>

#include "dataplane/snapshot.hpp"

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

namespace wansteer {

struct WorkerContext;

struct DataplaneRuntime {
  rte_mempool* pool = nullptr;
  rte_mempool* frag_direct = nullptr;    // IPv4 fragments' headers (dataplane/ipv4_fragment.hpp)
  rte_mempool* frag_indirect = nullptr;  // and their references into the original's data
  uint16_t lan_port = 0;
  uint16_t link_port[kMaxLinks] = {};
  rte_ether_addr lan_mac{};
  rte_ether_addr link_mac[kMaxLinks] = {};
  rte_ring* to_control = nullptr;
  rte_ring* from_control = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  SnapshotSlot slot;
  std::vector<WorkerContext*> workers;
};

}  // namespace wansteer
