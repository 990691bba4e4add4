// ControlRig: the real ControlPlane publishing to one worker over three ring-backed DPDK ports (0 = LAN,
// 1 = fiber, 2 = lte; net_ring ethdevs), without lcores: a test injects frames, runs one worker iteration with
// poll() and reads what each port transmitted. Shared by the forwarding and egress tests and the worker fuzzer
// (tests/fuzz/fuzz_worker.cpp), so it needs no test framework: a set-up failure throws RigError.
#pragma once
#include <algorithm>
#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "control/runtime/control_plane.hpp"
#include "dataplane/egress.hpp"
#include "dataplane/setup/ports.hpp"
#include "dataplane/worker.hpp"
#include "tests/unit/packet_builder.hpp"

namespace wansteer::test {

// A rig that cannot be set up (or a frame that cannot be injected): Catch reports it as the test's failure.
struct RigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
inline void rig_require(bool ok, const std::string& what) {
  if (!ok) throw RigError("control rig: " + what);
}

inline const MacAddress kRigFiberGw{0x02, 0, 0, 0, 0x01, 0x01};
inline const MacAddress kRigLteGw{0x02, 0, 0, 0, 0x02, 0x01};

// The test office's skeleton: LAN 192.168.10.0/24 untagged and 192.168.20.0/24 on VLAN 20; fiber (primary) and
// lte (backup) with static gateway MACs and probing off (ring ports answer no probes: links count as healthy
// while up). Classes and rules are the caller's.
inline Policy rig_office_skeleton() {
  Policy p;
  p.path = "test";
  p.lan.subnets = {LanSubnetSpec{Ipv4Cidr{ip4("192.168.10.1"), 24}, 0},
                   LanSubnetSpec{Ipv4Cidr{ip4("192.168.20.1"), 24}, 20}};
  LinkSpec fiber;
  fiber.name = "fiber";
  fiber.address = Ipv4Cidr{ip4("100.64.1.2"), 30};
  fiber.gateway = ip4("100.64.1.1");
  fiber.gateway_mac = kRigFiberGw;
  fiber.probe.enabled = false;
  LinkSpec lte = fiber;
  lte.name = "lte";
  lte.address = Ipv4Cidr{ip4("100.64.2.2"), 30};
  lte.gateway = ip4("100.64.2.1");
  lte.gateway_mac = kRigLteGw;
  lte.role = LinkRole::backup;
  p.links = {fiber, lte};
  return p;
}

struct ControlRig {
  rte_mempool* pool = nullptr;
  rte_ring* rx[3] = {};
  rte_ring* tx[3] = {};
  DataplaneRuntime rt;
  WorkerContext* w = nullptr;
  std::optional<ControlPlane> cp;
  std::atomic<bool> stop{false};

  // `clock`: the control plane's (not owned; nullptr = the TSC). Tests of timing pass a FakeClock.
  explicit ControlRig(Policy policy, const Clock* clock = nullptr) {
    static int instance = 0;
    const std::string id = "rig" + std::to_string(instance++);
    pool = make_test_pool((id + "_pool").c_str(), 2047);
    rig_require(pool != nullptr, "mempool " + id);
    rt.pool = pool;
    uint16_t ports[3];
    for (int i = 0; i < 3; i++) {
      std::string n = id + "_" + std::to_string(i);
      rx[i] = rte_ring_create((n + "rx").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
      tx[i] = rte_ring_create((n + "tx").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
      int port = rte_eth_from_rings(("net_ring_" + n).c_str(), &rx[i], 1, &tx[i], 1, SOCKET_ID_ANY);
      rig_require(port >= 0, "ring port " + n);
      ports[i] = static_cast<uint16_t>(port);
      std::string err;
      rig_require(port_start(ports[i], 1, pool, &err), err);
    }
    rt.lan_port = ports[0];
    rte_eth_macaddr_get(ports[0], &rt.lan_mac);
    for (int l = 0; l < 2; l++) {
      rt.link_port[l] = ports[l + 1];
      rte_eth_macaddr_get(ports[l + 1], &rt.link_mac[l]);
    }
    rt.to_control = rte_ring_create((id + "_toc").c_str(), 256, SOCKET_ID_ANY, RING_F_SC_DEQ);
    rt.from_control = rte_ring_create((id + "_fromc").c_str(), 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    rt.qsbr = static_cast<rte_rcu_qsbr*>(rte_zmalloc(nullptr, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE));
    rte_rcu_qsbr_init(rt.qsbr, 1);
    w = new WorkerContext();
    w->n_ports = 3;
    for (int i = 0; i < 3; i++) w->port_ids[i] = ports[i];
    w->slot = &rt.slot;
    w->qsbr = rt.qsbr;
    w->to_control = rt.to_control;
    w->from_control = rt.from_control;
    w->stop = &stop;
    std::string err;
    w->flows = FlowCache::create(id + "_flows", 1024, SOCKET_ID_ANY, &err);
    rig_require(w->flows != nullptr, err);
    w->nat = NatSessionTable::create(id + "_nat", 1024, 0, 1, SOCKET_ID_ANY, &err);
    rig_require(w->nat != nullptr, err);
    rt.workers.push_back(w);
    cp.emplace(std::move(policy), rt, clock);
    rig_require(cp->start(&err), err);
  }

  ~ControlRig() {
    egress_drain(*w);
    cp->drain_rings();
    cp.reset();
    for (int i = 0; i < 3; i++) port_stop_close(i == 0 ? rt.lan_port : rt.link_port[i - 1]);
    delete w;
    for (int i = 0; i < 3; i++) {
      rte_ring_free(rx[i]);
      rte_ring_free(tx[i]);
    }
    rte_ring_free(rt.to_control);
    rte_ring_free(rt.from_control);
    rte_free(rt.qsbr);
    rte_mempool_free(pool);
  }

  // Frames to the LAN port addressed to PacketBuilder's default MAC go to the port's real MAC (LAN admission
  // drops frames to any other unicast MAC).
  void inject(int port, Bytes frame) {
    if (port == 0 && frame.size() >= 6 &&
        std::equal(frame.begin(), frame.begin() + 6, PacketBuilder::kDefaultDst.begin()))
      std::copy(rt.lan_mac.addr_bytes, rt.lan_mac.addr_bytes + 6, frame.begin());
    rte_mbuf* m = to_mbuf(pool, frame);
    rig_require(m != nullptr, "no mbuf for a frame of " + std::to_string(frame.size()) + " bytes");
    rig_require(rte_ring_enqueue(rx[port], m) == 0, "rx ring full");
  }
  void poll() { worker_poll_once(*w, *rt.slot.current.load(), 1000); }
  // Everything port `port` transmitted since the last call, as bytes; the mbufs are freed.
  std::vector<Bytes> sent(int port) {
    std::vector<Bytes> out;
    void* p;
    while (rte_ring_dequeue(tx[port], &p) == 0) {
      auto* m = static_cast<rte_mbuf*>(p);
      const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
      out.emplace_back(d, d + m->data_len);
      rte_pktmbuf_free(m);
    }
    return out;
  }
};

}  // namespace wansteer::test
