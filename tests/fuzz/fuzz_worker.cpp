// libFuzzer target for the packet path: frames into a real worker on ring ports (LAN, fiber, lte) under the office
// policy, one poll, a control tick, another poll; every mbuf must be back in the pool afterwards (a leak is a crash).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "control/policy/policy_loader.hpp"
#include "dataplane/egress.hpp"
#include "tests/unit/control_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

std::unique_ptr<ControlRig> g_rig;
unsigned g_base_in_use = 0;
uint64_t g_now = 0;

// policies/office.yaml as the daemon reads it, with what ring ports cannot give: gateway MACs (nothing answers
// ARP) and probing (nothing answers probes; links count as healthy while up). Two LAN hosts have static MACs so
// return traffic reaches them without ARP.
Policy office_policy() {
  PolicyResult r = load_policy(WANSTEER_SOURCE_DIR "/policies/office.yaml");
  if (!r.ok()) {
    fprintf(stderr, "fuzz_worker: policies/office.yaml: %s\n", r.errors.front().reason.c_str());
    abort();
  }
  Policy p = std::move(*r.policy);
  p.links[0].gateway_mac = kRigFiberGw;
  p.links[1].gateway_mac = kRigLteGw;
  for (LinkSpec& l : p.links) l.probe.enabled = false;
  p.lan.neighbors = {StaticNeighbor{ip4("192.168.10.10"), MacAddress{0x02, 0, 0, 0, 0x10, 0x10}},
                     StaticNeighbor{ip4("192.168.20.10"), MacAddress{0x02, 0, 0, 0, 0x20, 0x10}}};
  return p;
}

// Everything the ports sent and control was handed goes back to the pool.
void drain(ControlRig& rig) {
  for (int port = 0; port < 3; port++) {
    void* m;
    while (rte_ring_dequeue(rig.tx[port], &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  }
  rig.cp->drain_rings();
  egress_drain(*rig.w);
}

void poll(ControlRig& rig) { worker_poll_once(*rig.w, *rig.rt.slot.current.load(), g_now); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // As fuzz_parse: --no-huge needs --no-shconf (22.11 refuses --in-memory with legacy memory).
  char arg0[] = "fuzz_worker";
  char a1[] = "--no-huge";
  char a2[] = "--no-pci";
  char a3[] = "--no-shconf";
  char a4[] = "-m";
  char a5[] = "256";
  char a6[] = "--log-level=error";
  char a7[] = "-l";
  char a8[] = "0";
  char* eal_argv[] = {arg0, a1, a2, a3, a4, a5, a6, a7, a8, nullptr};
  if (rte_eal_init(9, eal_argv) < 0) abort();
  g_rig = std::make_unique<ControlRig>(office_policy());
  g_now = rte_get_tsc_hz();
  g_base_in_use = rte_mempool_in_use_count(g_rig->pool);
  return 0;
}

// Input: one byte of time step (1..256 ms since the last input), then frames, each [port % 3][length: 2 bytes, big
// endian][bytes, cut short by the end of the input]; port 0 is the LAN, 1 fiber, 2 lte. At most one burst of them.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ControlRig& rig = *g_rig;
  g_now += (1 + uint64_t{data[0]}) * rte_get_tsc_hz() / 1000;
  size_t off = 1;
  for (int frames = 0; frames < 32 && off + 3 <= size; frames++) {
    const int port = data[off] % 3;
    const size_t want = (size_t{data[off + 1]} << 8) | data[off + 2];
    off += 3;
    const size_t len = std::min({want, size - off, size_t{2048}});  // one mbuf's data room
    rig.inject(port, Bytes(data + off, data + off + len));
    off += len;
  }
  poll(rig);
  rig.cp->tick();  // ARP and unresolved neighbours; what control sends goes out with the next poll
  poll(rig);
  rig.w->flows->expire_some(g_now, rig.rt.slot.current.load()->flow_idle_tsc, 32, rig.w->counters);
  drain(rig);
  if (rte_mempool_in_use_count(rig.pool) != g_base_in_use) {
    fprintf(stderr, "fuzz_worker: %u mbufs in use, %u before the input\n", rte_mempool_in_use_count(rig.pool),
            g_base_in_use);
    __builtin_trap();
  }
  return 0;
}
