// LAN admission over real ring ports: frames to another MAC, unhandled multicast, unconfigured VLANs, QinQ and
// sources not of their subnet are dropped under their own reasons, on the fast lane too; an ARP flood is cut to
// the worker's ARP rate so probe replies still reach control.
#include <rte_arp.h>
#include <rte_ring.h>
#include <catch2/catch.hpp>

#include "dataplane/probe_ids.hpp"
#include "dataplane/worker.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const Mac kHost{0x02, 0, 0, 0, 0x10, 0x10};
const Mac kGuest{0x02, 0, 0, 0, 0x20, 0x10};

// Office skeleton; guest (VLAN 20) may use fiber only, default both links.
Policy admit_policy() {
  Policy p = rig_office_skeleton();
  p.classes = {ClassSpec{"guest", SteerMode::priority, {0}, {}}, ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  p.default_class = 1;
  ClassRule guest;
  guest.class_id = 0;
  guest.vlan = 20;
  p.rules = {guest};
  return p;
}

uint64_t drops(ControlRig& rig, DropReason r) { return rig.w->counters.drop[static_cast<int>(r)].get(); }

Bytes udp_from(uint32_t src, Mac dst = PacketBuilder::kDefaultDst) {
  return PacketBuilder(dst, kHost).ipv4(src, ip4("203.0.113.10")).udp(40000, 53).build();
}

}  // namespace

TEST_CASE("LAN admission drops each trick under its own reason and forwards the honest frames", "[lan_admit]") {
  ControlRig rig(admit_policy());
  const uint32_t office = ip4("192.168.10.10"), guest = ip4("192.168.20.10");
  rig.inject(0, udp_from(office, Mac{0x02, 0, 0, 0, 0x10, 0x99}));  // unicast to another host
  rig.inject(0, udp_from(office, Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  rig.inject(0, udp_from(office, Mac{0x01, 0x00, 0x5e, 0, 0, 1}));
  rig.inject(
      0, PacketBuilder(PacketBuilder::kDefaultDst, kGuest).vlan(30).ipv4(guest, ip4("203.0.113.10")).udp(1, 2).build());
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kGuest)
                    .vlan(100, 0x88a8)
                    .vlan(20)
                    .ipv4(guest, ip4("203.0.113.10"))
                    .udp(1, 2)
                    .build());
  rig.inject(0, udp_from(guest));             // untagged with a guest source
  rig.inject(0, udp_from(ip4("10.99.0.5")));  // a source of no LAN subnet
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kGuest)
                    .vlan(20)
                    .ipv4(office, ip4("203.0.113.10"))  // guest VLAN, office source
                    .udp(1, 2)
                    .build());
  rig.inject(0, udp_from(office));  // honest
  rig.inject(
      0, PacketBuilder(PacketBuilder::kDefaultDst, kGuest).vlan(20).ipv4(guest, ip4("203.0.113.10")).udp(1, 2).build());
  rig.poll();
  CHECK(drops(rig, DropReason::not_our_mac) == 1);
  CHECK(drops(rig, DropReason::lan_multicast) == 2);
  CHECK(drops(rig, DropReason::vlan_not_configured) == 1);
  CHECK(drops(rig, DropReason::qinq_tagged) == 1);
  CHECK(drops(rig, DropReason::source_not_in_subnet) == 3);
  CHECK(rig.sent(1).size() == 2);
  CHECK(rig.sent(2).empty());
}

TEST_CASE("the fast lane sends a cached flow's frame to another MAC or with a foreign source to admission",
          "[lan_admit]") {
  ControlRig rig(admit_policy());
  const Bytes honest = udp_from(ip4("192.168.10.10"));
  rig.inject(0, honest);
  rig.poll();
  REQUIRE(rig.sent(1).size() == 1);  // the flow is cached now
  Bytes other_mac = honest;
  other_mac[5] = 0x99;
  rig.inject(0, other_mac);
  rig.poll();
  CHECK(rig.sent(1).empty());
  CHECK(drops(rig, DropReason::not_our_mac) == 1);

  // A guest flow cached from VLAN 20, then its 5-tuple untagged: not a guest source on the untagged LAN.
  const uint32_t guest = ip4("192.168.20.10");
  rig.inject(
      0, PacketBuilder(PacketBuilder::kDefaultDst, kGuest).vlan(20).ipv4(guest, ip4("203.0.113.10")).udp(1, 2).build());
  rig.poll();
  REQUIRE(rig.sent(1).size() == 1);
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kGuest).ipv4(guest, ip4("203.0.113.10")).udp(1, 2).build());
  rig.poll();
  CHECK(rig.sent(1).empty());
  CHECK(drops(rig, DropReason::source_not_in_subnet) == 1);
}

TEST_CASE("without untagged subnets untagged frames are not admitted; routed subnets admit foreign sources",
          "[lan_admit]") {
  Policy p = admit_policy();
  p.lan.subnets[0].vlan = 10;
  p.lan.subnets[0].routed = true;
  ControlRig rig(std::move(p));
  rig.inject(0, udp_from(ip4("192.168.10.10")));  // untagged: VLAN 0 has no subnet now
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kHost)
                    .vlan(10)
                    .ipv4(ip4("10.99.0.5"), ip4("203.0.113.10"))
                    .udp(1, 2)
                    .build());
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kHost)
                    .vlan(10)
                    .ipv4(ip4("192.168.20.10"), ip4("203.0.113.10"))
                    .udp(1, 2)
                    .build());
  rig.poll();
  CHECK(drops(rig, DropReason::vlan_not_configured) == 1);
  CHECK(drops(rig, DropReason::source_not_in_subnet) == 1);  // a guest source on the routed VLAN
  CHECK(rig.sent(1).size() == 1);                            // the routed LAN's host behind its router
}

TEST_CASE("an ARP flood is cut to the worker's ARP rate and probe replies still reach control", "[lan_admit]") {
  ControlRig rig(admit_policy());
  const Bytes arp = PacketBuilder(Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kHost)
                        .arp(RTE_ARP_OP_REQUEST, ip4("192.168.10.10"), ip4("192.168.10.1"), kHost)
                        .build();
  // Far more than the control ring holds (256), in bursts the ring ports take; control is not ticked meanwhile.
  for (int round = 0; round < 8; round++) {
    for (int i = 0; i < 128; i++) rig.inject(0, arp);
    for (int i = 0; i < 4; i++) rig.poll();
  }
  CHECK(drops(rig, DropReason::arp_rate_limited) == 8 * 128 - ArpRateLimit::kBurst);
  CHECK(drops(rig, DropReason::control_ring_full) == 0);

  // A probe reply (ICMP echo reply to fiber's address, with a probe's identifier: other echo replies answer LAN
  // hosts' pings through NAT) still finds room on the ring to control.
  rig.inject(1, PacketBuilder(Mac{}, Mac{0x02, 0, 0, 0, 0x01, 0x01})
                    .ipv4(ip4("198.51.100.7"), ip4("100.64.1.2"))
                    .icmp(0, 0, probe_icmp_id(0, 0), 1)
                    .build());
  rig.poll();
  CHECK(drops(rig, DropReason::control_ring_full) == 0);
  bool probe_seen = false;
  void* p;
  while (rte_ring_dequeue(rig.rt.to_control, &p) == 0) {
    auto* m = static_cast<rte_mbuf*>(p);
    probe_seen |= meta_of(m)->cp_reason == PacketMeta::kToControlProbe;
    rte_pktmbuf_free(m);
  }
  CHECK(probe_seen);
}
