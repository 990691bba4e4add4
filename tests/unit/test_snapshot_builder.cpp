// The snapshot builder is a pure function of the policy and the control plane's state: what it is given is what
// the workers will read (ports, gateways, steering, generations), without DPDK running a worker.
#include <catch2/catch.hpp>

#include "control/runtime/snapshot_builder.hpp"
#include "control/steering/planner.hpp"
#include "tests/unit/control_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

TEST_CASE("snapshot builder: links, gateways, steering and generations come from its inputs", "[snapshot]") {
  Policy p = rig_office_skeleton();
  p.classes = {ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  p.links[0].mtu = 1300;
  p.links[1].mss_clamp = false;
  DataplaneRuntime ports;
  ports.lan_port = 7;
  ports.link_port[0] = 8;
  ports.link_port[1] = 9;
  ports.link_mac[1].addr_bytes[5] = 0x42;
  Gateways gw;
  gw.resolved[1] = true;
  gw.mac[1].addr_bytes[5] = 0x21;
  std::array<bool, kMaxLinks> usable{};
  usable[1] = true;  // fiber's next hop is unknown: only lte can carry traffic
  const SteeringTable steering = plan_steering(p, usable);
  const SnapshotInputs in{p, ports, nullptr, nullptr, gw, steering, usable, 5, 3, 1'000'000'000};

  const auto s = build_snapshot(in, nullptr);
  CHECK(s->generation == 5);
  CHECK(s->policy_generation == 3);
  CHECK(s->n_links == 2);
  CHECK(s->n_classes == 1);
  CHECK(s->n_lan == 2);
  CHECK(s->lan_port_id == 7);
  CHECK(s->links[0].port_id == 8);
  CHECK_FALSE(s->links[0].gateway_resolved);
  CHECK(s->links[1].gateway_resolved);
  CHECK(s->links[1].gateway_mac.addr_bytes[5] == 0x21);
  CHECK(s->links[1].own_mac.addr_bytes[5] == 0x42);
  CHECK(s->links[1].backup);
  CHECK(s->links[1].gateway_ip == ip4("100.64.2.1"));
  CHECK(s->links[0].mtu == 1300);
  CHECK(s->links[0].mss_max == 1260);  // mtu - 40
  CHECK(s->links[1].mtu == 1500);
  CHECK(s->links[1].mss_max == 0);  // mss_clamp: false
  CHECK(s->lan[1].vlan == 20);
  CHECK(s->steering.cls[0].pick_slot[0] == 1);  // what the planner said: lte
  CHECK(s->flow_idle_tsc == uint64_t(p.flow_cache.idle_timeout_s) * 1'000'000'000);
}
