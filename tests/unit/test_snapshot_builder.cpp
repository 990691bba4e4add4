// The snapshot builder is a pure function of the policy and the control plane's state: what it is given is what
// the workers will read (ports, gateways, steering, generations), without DPDK running a worker.
#include <catch2/catch.hpp>

#include "control/runtime/snapshot_builder.hpp"
#include "control/steering/planner.hpp"
#include "dataplane/overlay/peer_source.hpp"
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
  CHECK(s->lan_any_mask == 0xffffe000u);  // 192.168.10.0/24 and .20.0/24 share 192.168.0.0/19 (lan_summarise)
  CHECK(s->lan_any_network == ip4("192.168.0.0"));
  CHECK(s->steering.cls[0].pick_slot[0] == 1);  // what the planner said: lte
  CHECK(s->flow_idle_tsc == uint64_t(p.flow_cache.idle_timeout_s) * 1'000'000'000);
}

TEST_CASE("snapshot builder: the overlay's hub, port, MTU and the session's keys; nothing without an overlay",
          "[snapshot]") {
  Policy p = rig_office_skeleton();
  p.classes = {ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  DataplaneRuntime ports;
  Gateways gw;
  std::array<bool, kMaxLinks> usable{};
  const SteeringTable steering = plan_steering(p, usable);
  SnapshotInputs in{p, ports, nullptr, nullptr, gw, steering, usable, 1, 1, 1'000'000'000};

  const auto plain = build_snapshot(in, nullptr);
  CHECK_FALSE(plain->overlay.enabled);
  CHECK(plain->overlay.keys.send == nullptr);

  p.overlay.enabled = true;
  p.overlay.hub_address = ip4("198.51.100.7");
  p.overlay.hub_port = 51000;
  p.overlay.mtu = 1380;
  const auto no_keys = build_snapshot(in, nullptr);
  CHECK(no_keys->overlay.enabled);
  CHECK(no_keys->overlay.hub_ip == ip4("198.51.100.7"));
  CHECK(no_keys->overlay.hub_port == 51000);
  CHECK(no_keys->overlay.local_port == 51820);
  CHECK(no_keys->overlay.inner_mtu == 1380);
  CHECK(no_keys->overlay.n_allowed == 1);  // a hub may send from anywhere: 0/0
  CHECK(no_keys->overlay.allowed[0].mask == 0);
  CHECK_FALSE(no_keys->overlay.site);
  CHECK(no_keys->overlay.keys.send == nullptr);

  wg::PeerKeysView view;
  view.send = std::make_shared<wg::TransportKeys>();
  view.receive[wg::PeerKeysView::kCurrent] = view.send;
  in.overlay_keys = &view;
  const auto with_keys = build_snapshot(in, nullptr);
  CHECK(with_keys->overlay.keys.send == view.send);  // the same keys (and send counter), not a copy
  CHECK(with_keys->overlay.keys.receive[wg::PeerKeysView::kCurrent] == view.send);

  // A site peer: its prefixes, the endpoint as learned (over the configured one), its other recent endpoint.
  p.overlay.site_peer = true;
  p.overlay.allowed_ips = {Ipv4Cidr{ip4("192.168.110.0"), 24}, Ipv4Cidr{ip4("10.20.0.0"), 16}};
  p.classes[0].duplicate = Duplicate::always;
  in.overlay_endpoint = peer_source_word(ip4("100.64.2.2"), 51820) | 1;
  in.overlay_other_endpoint = peer_source_word(ip4("100.64.1.2"), 51820);
  const auto site = build_snapshot(in, nullptr);
  CHECK(site->overlay.site);
  REQUIRE(site->overlay.n_allowed == 2);
  CHECK(site->overlay.allowed[0].net == ip4("192.168.110.0"));
  CHECK(site->overlay.allowed[1].mask == ip4("255.255.0.0"));
  CHECK(site->overlay.hub_ip == ip4("100.64.2.2"));
  CHECK(site->overlay.alt_ip == ip4("100.64.1.2"));
  CHECK(site->overlay.alt_port == 51820);
  CHECK(site->overlay.dup_classes == 1);
}
