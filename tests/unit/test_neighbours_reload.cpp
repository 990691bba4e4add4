// A reload that changes the LAN's subnets or static neighbours: every known host keeps the VLAN tag of the subnet it
// is in (a learned host's entry named its subnet by position, so a subnet added in front used to send its packets
// with another subnet's tag), a host of a removed or retagged subnet is forgotten, and a new static neighbour needs
// no ARP.
#include <rte_arp.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "control/operations/metrics.hpp"
#include "control/runtime/control_plane.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const Mac kGuestHost{0x02, 0, 0, 0, 0x20, 0x50};
const Mac kFiberMac{0x02, 0, 0, 0, 0x01, 0x01};  // any: the WAN side admits by address

// The office skeleton (192.168.10.0/24 untagged, 192.168.20.0/24 on VLAN 20) with routed, open links, so a
// packet from the internet to a LAN address is forwarded to it as it is.
Policy routed_office() {
  Policy p = rig_office_skeleton();
  for (LinkSpec& l : p.links) {
    l.nat = false;
    l.firewall = false;
  }
  return p;
}

Bytes from_internet(const char* host) {
  return PacketBuilder(Mac{}, kFiberMac).ipv4(ip4("203.0.113.10"), ip4(host)).udp(443, 50000).build();
}

// The VLAN id of a frame the LAN port sent, 0 when untagged.
uint16_t vlan_of(const Bytes& f) { return f[12] == 0x81 && f[13] == 0x00 ? ((f[14] << 8) | f[15]) & 0xfff : 0; }

// One packet from the internet to `host`; what the LAN port sent for it (ARP requests included).
std::vector<Bytes> deliver(ControlRig& rig, const char* host) {
  rig.inject(1, from_internet(host));
  rig.poll();
  rig.cp->tick();  // an unresolved host's packet waits in control: its ARP request goes out through the worker
  rig.poll();
  return rig.sent(0);
}

// A guest host (192.168.20.50) asks for the edge on VLAN 20: control learns it and answers.
void guest_host_asks(ControlRig& rig) {
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kGuestHost)
                    .vlan(20)
                    .arp(RTE_ARP_OP_REQUEST, ip4("192.168.20.50"), ip4("192.168.20.1"), kGuestHost)
                    .build());
  rig.poll();
  rig.cp->tick();
  rig.poll();
  REQUIRE(rig.sent(0).size() == 1);  // the ARP reply
}

}  // namespace

TEST_CASE("a reload that moves, removes or adds LAN subnets keeps every host's VLAN tag right", "[neighbours]") {
  Policy p = routed_office();
  ControlRig rig(p);
  guest_host_asks(rig);
  auto lan = deliver(rig, "192.168.20.50");
  REQUIRE(lan.size() == 1);
  CHECK(std::equal(kGuestHost.begin(), kGuestHost.end(), lan[0].begin()));
  CHECK(vlan_of(lan[0]) == 20);

  // A new subnet in front: the guest subnet is now the third. Its host still gets tag 20, not the staff subnet's.
  Policy q = p;
  q.lan.subnets.insert(q.lan.subnets.begin(), LanSubnetSpec{Ipv4Cidr{ip4("192.168.30.1"), 24}, 30});
  MacAddress printer{0x02, 0, 0, 0, 0x10, 0x77};
  q.lan.neighbors.push_back(StaticNeighbor{ip4("192.168.10.77"), printer});
  const std::string answer = rig.cp->adopt_policy(q);
  INFO(answer);
  REQUIRE(answer.find("error") == std::string::npos);
  lan = deliver(rig, "192.168.20.50");
  REQUIRE(lan.size() == 1);
  CHECK(std::equal(kGuestHost.begin(), kGuestHost.end(), lan[0].begin()));
  CHECK(vlan_of(lan[0]) == 20);

  // The static neighbour the reload added is known at once: no ARP, untagged (staff subnet).
  lan = deliver(rig, "192.168.10.77");
  REQUIRE(lan.size() == 1);
  CHECK(std::equal(printer.begin(), printer.end(), lan[0].begin()));
  CHECK(vlan_of(lan[0]) == 0);

  // The guest subnet moved to VLAN 21: its host, learned on VLAN 20, is forgotten and asked for on VLAN 21.
  Policy v = q;
  v.lan.subnets.back().vlan = 21;
  REQUIRE(rig.cp->adopt_policy(v).find("error") == std::string::npos);
  lan = deliver(rig, "192.168.20.50");
  REQUIRE(lan.size() == 1);  // the ARP request; the packet waits for the answer
  CHECK(lan[0][16] == 0x08);
  CHECK(lan[0][17] == 0x06);
  CHECK(vlan_of(lan[0]) == 21);
  CHECK(rig.cp->neighbours().held() == 1);
  REQUIRE(rig.cp->adopt_policy(q).find("error") == std::string::npos);  // back to VLAN 20

  // The guest subnet removed: its host is forgotten, and its address is no LAN address any more.
  Policy r = q;
  r.lan.subnets.pop_back();
  REQUIRE(rig.cp->adopt_policy(r).find("error") == std::string::npos);
  CHECK(deliver(rig, "192.168.20.50").empty());
  CHECK(rig.w->counters.drop[static_cast<int>(DropReason::no_route)].get() == 1);
  CHECK(rig.cp->neighbours().lan_count() == 1);  // the printer, still served
  lan = deliver(rig, "192.168.10.77");
  REQUIRE(lan.size() == 1);
  CHECK(std::equal(printer.begin(), printer.end(), lan[0].begin()));
  rig.cp->drain_rings();  // frees the packet still waiting for an answer from VLAN 21, as shutdown does
  CHECK(rte_mempool_in_use_count(rig.pool) == 0);
}

TEST_CASE("ARP claiming a static neighbour's address with another MAC raises an arp_conflict event", "[neighbours]") {
  Policy p = routed_office();
  const MacAddress terminal{0x02, 0, 0, 0, 0x10, 0x42};  // a card terminal, pinned by the policy
  p.lan.neighbors = {StaticNeighbor{ip4("192.168.10.42"), terminal}};
  ControlRig rig(p);
  const Mac spoofer{0x02, 0, 0, 0, 0x66, 0x66};
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, spoofer)
                    .arp(RTE_ARP_OP_REPLY, ip4("192.168.10.42"), ip4("192.168.10.1"), spoofer)
                    .build());
  rig.poll();
  rig.cp->tick();
  const auto events = rig.cp->recent_events(10);
  const auto it = std::find_if(events.begin(), events.end(), [](const Event& e) { return e.kind == "arp_conflict"; });
  REQUIRE(it != events.end());
  CHECK(it->cause == "claims_static_neighbor");
  CHECK(it->to == "192.168.10.42");
  CHECK(it->from == "02:00:00:00:66:66");
  // The terminal's packets still reach the terminal.
  const auto lan = deliver(rig, "192.168.10.42");
  REQUIRE(lan.size() == 1);
  CHECK(std::equal(terminal.begin(), terminal.end(), lan[0].begin()));
  // What a scrape shows (wansteer_arp_ignored_total, wansteer_lan_neighbor_entries) and the stats JSON.
  const MetricsSnapshot m = rig.cp->metrics_snapshot();
  CHECK(m.arp.ignored == 1);
  CHECK(m.arp.neighbors == 1);
  CHECK(m.arp.held_now == 0);
  CHECK(rig.cp->stats_view().arp_ignored == 1);
}

TEST_CASE("show neighbors lists learned, static and asked-for LAN hosts, as a table and as JSON", "[neighbours]") {
  Policy p = routed_office();
  const MacAddress printer{0x02, 0, 0, 0, 0x10, 0x77};
  p.lan.neighbors = {StaticNeighbor{ip4("192.168.10.77"), printer}};
  ControlRig rig(p);
  CHECK(rig.cp->handle_command("show neighbors").find("192.168.20.50") == std::string::npos);
  guest_host_asks(rig);
  REQUIRE(deliver(rig, "192.168.10.99").size() == 1);  // nobody there: the ARP request, the packet waits

  const std::string text = rig.cp->handle_command("show neighbors");
  INFO(text);
  CHECK(text.find("LAN NEIGHBORS (3)") != std::string::npos);
  CHECK(text.find("192.168.10.77    02:00:00:00:10:77  -     static") != std::string::npos);
  CHECK(text.find("192.168.10.99    (asking)           -     -        1 packets") != std::string::npos);
  CHECK(text.find("192.168.20.50    02:00:00:00:20:50  20    learned") != std::string::npos);

  const auto j = nlohmann::json::parse(rig.cp->handle_command("show neighbors --json"));
  REQUIRE(j.size() == 3);  // by address
  CHECK(j[0]["ip"] == "192.168.10.77");
  CHECK(j[0]["static"] == true);
  CHECK(j[1]["ip"] == "192.168.10.99");
  CHECK(j[1]["mac"].is_null());
  CHECK(j[1]["resolved"] == false);
  CHECK(j[1]["held_packets"] == 1);
  CHECK(j[2]["mac"] == "02:00:00:00:20:50");
  CHECK(j[2]["vlan"] == 20);
  CHECK(j[2]["static"] == false);
  rig.cp->drain_rings();
}
