// Neighbours (ARP) without a lab: gateway requests and their rate limit, the gateway's reply learned, requests for
// the edge's own addresses answered, LAN hosts learned, and next-hop requests at most once per second.
// Packets for LAN hosts being asked for are held (ArpHold) and sent once the host answers.
#include <fmt/format.h>
#include <rte_arp.h>
#include <rte_mbuf.h>
#include <catch2/catch.hpp>

#include "control/common/clock.hpp"
#include "control/runtime/neighbours.hpp"
#include "dataplane/packet_meta.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const Mac kGwMac{0x02, 0, 0, 0, 0x01, 0x01};
const Mac kHostMac{0x02, 0, 0, 0, 0x10, 0x10};

struct Sent {
  uint8_t port;
  Bytes frame;
};

// Neighbours over the office skeleton with fiber's gateway left to ARP; frames it sends are kept in `sent`.
struct NeighbourRig {
  FakeClock clock;
  Policy policy = rig_office_skeleton();
  rte_mempool* pool;
  rte_ether_addr lan_mac{{0x02, 0xaa, 0, 0, 0, 0x01}};
  rte_ether_addr link_macs[kMaxLinks] = {{{0x02, 0xaa, 0, 0, 1, 0x01}}, {{0x02, 0xaa, 0, 0, 2, 0x01}}};
  std::vector<Sent> sent;
  std::optional<Neighbours> nb;

  NeighbourRig() {
    static int n = 0;
    pool = make_test_pool(("nbrig" + std::to_string(n++)).c_str(), 255);
    REQUIRE(pool != nullptr);
    policy.links[0].gateway_mac.reset();
    nb.emplace(policy, pool, lan_mac, link_macs, clock.hz(), [this](rte_mbuf* m, uint8_t pi) {
      const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
      sent.push_back({pi, Bytes(d, d + m->data_len)});
      rte_pktmbuf_free(m);
    });
  }
  ~NeighbourRig() {
    nb.reset();  // frees what it holds, into the pool
    rte_mempool_free(pool);
  }

  // An ARP frame as a worker hands it over: meta says the port, VLAN and where the ARP header starts.
  rte_mbuf* arp_from(uint8_t port, const Bytes& frame, uint16_t vlan = 0) {
    rte_mbuf* m = to_mbuf(pool, frame);
    REQUIRE(m != nullptr);
    PacketMeta* meta = meta_of(m);
    meta->port = port;
    meta->vlan = vlan;
    meta->l3_offset = vlan ? 18 : 14;
    return m;
  }
  std::vector<Sent> take() { return std::exchange(sent, {}); }
  // A packet from the internet for LAN host `dst`, as a worker hands it over unresolved (ready but for Ethernet).
  void unresolved(const char* dst, uint16_t sport = 1) {
    rte_mbuf* m = to_mbuf(pool, PacketBuilder().ipv4(ip4("203.0.113.10"), ip4(dst)).udp(sport, 2).build());
    REQUIRE(m != nullptr);
    PacketMeta* meta = meta_of(m);
    meta->dst = ip4_bytes16(ip4(dst));
    meta->vlan_count = 0;
    meta->l3_offset = 14;
    meta->l4_offset = 34;
    nb->on_unresolved(m, clock.now());
  }
  // LAN host `ip` (MAC kHostMac) asks for the edge's address in its subnet, on VLAN `vlan`.
  void host_asks(const char* ip, const char* edge, uint16_t vlan = 0) {
    PacketBuilder b(PacketBuilder::kDefaultDst, kHostMac);
    if (vlan) b.vlan(vlan);
    nb->on_arp(arp_from(0, b.arp(RTE_ARP_OP_REQUEST, ip4(ip), ip4(edge), kHostMac).build(), vlan), clock.now());
  }
};

const rte_arp_hdr* arp_of(const Bytes& f) { return reinterpret_cast<const rte_arp_hdr*>(f.data() + 14); }

}  // namespace

TEST_CASE("gateway resolution: a request at once, again only after the retry time, the reply learned", "[neighbours]") {
  NeighbourRig r;
  CHECK_FALSE(r.nb->gateways().resolved[0]);
  CHECK(r.nb->gateways().resolved[1]);  // lte's gateway MAC is static

  r.nb->refresh_gateways(r.clock.now());
  auto s = r.take();
  REQUIRE(s.size() == 1);  // only fiber asks
  CHECK(s[0].port == 1);
  CHECK(arp_of(s[0].frame)->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST));
  CHECK(rte_be_to_cpu_32(arp_of(s[0].frame)->arp_data.arp_tip) == ip4("100.64.1.1"));
  CHECK(rte_be_to_cpu_32(arp_of(s[0].frame)->arp_data.arp_sip) == ip4("100.64.1.2"));

  r.clock.advance_ms(Neighbours::kGatewayRetryMs - 1);
  r.nb->refresh_gateways(r.clock.now());
  CHECK(r.take().empty());  // rate limited
  r.clock.advance_ms(1);
  r.nb->refresh_gateways(r.clock.now());
  CHECK(r.take().size() == 1);

  const Bytes reply = PacketBuilder(Mac{0x02, 0xaa, 0, 0, 1, 0x01}, kGwMac)
                          .arp(RTE_ARP_OP_REPLY, ip4("100.64.1.1"), ip4("100.64.1.2"), kGwMac)
                          .build();
  Neighbours::ArpFacts f = r.nb->on_arp(r.arp_from(1, reply), r.clock.now());
  CHECK(f.gateway_changed);
  REQUIRE(r.nb->gateways().resolved[0]);
  CHECK(std::equal(kGwMac.begin(), kGwMac.end(), r.nb->gateways().mac[0].addr_bytes));
  CHECK(r.take().empty());  // a reply is not answered
  f = r.nb->on_arp(r.arp_from(1, reply), r.clock.now());
  CHECK_FALSE(f.gateway_changed);  // same MAC again: nothing new

  // Resolved: asked again only after the refresh time.
  r.clock.advance_ms(Neighbours::kGatewayRetryMs);
  r.nb->refresh_gateways(r.clock.now());
  CHECK(r.take().empty());
  r.clock.advance_ms(Neighbours::kGatewayRefreshMs);
  r.nb->refresh_gateways(r.clock.now());
  CHECK(r.take().size() == 1);
}

TEST_CASE("requests for the edge's addresses are answered; LAN senders are learned", "[neighbours]") {
  NeighbourRig r;
  const Bytes ask_wan = PacketBuilder(PacketBuilder::kDefaultDst, kGwMac)
                            .arp(RTE_ARP_OP_REQUEST, ip4("100.64.1.1"), ip4("100.64.1.2"), kGwMac)
                            .build();
  r.nb->on_arp(r.arp_from(1, ask_wan), r.clock.now());
  auto s = r.take();
  REQUIRE(s.size() == 1);
  CHECK(s[0].port == 1);
  const rte_arp_hdr* a = arp_of(s[0].frame);
  CHECK(a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY));
  CHECK(rte_be_to_cpu_32(a->arp_data.arp_sip) == ip4("100.64.1.2"));
  CHECK(std::equal(r.link_macs[0].addr_bytes, r.link_macs[0].addr_bytes + 6, a->arp_data.arp_sha.addr_bytes));
  CHECK(std::equal(kGwMac.begin(), kGwMac.end(), s[0].frame.begin()));  // back to the asker
  CHECK(r.nb->arp_replies() == 1);

  const Bytes ask_lan = PacketBuilder(PacketBuilder::kDefaultDst, kHostMac)
                            .arp(RTE_ARP_OP_REQUEST, ip4("192.168.10.10"), ip4("192.168.10.1"), kHostMac)
                            .build();
  const Neighbours::ArpFacts f = r.nb->on_arp(r.arp_from(0, ask_lan), r.clock.now());
  CHECK(f.neighbours_changed);
  CHECK(r.nb->lan_count() == 1);
  s = r.take();
  REQUIRE(s.size() == 1);
  CHECK(s[0].port == 0);
  CHECK(rte_be_to_cpu_32(arp_of(s[0].frame)->arp_data.arp_sip) == ip4("192.168.10.1"));

  // Someone else's address: learned, not answered.
  const Bytes ask_other = PacketBuilder(PacketBuilder::kDefaultDst, kHostMac)
                              .arp(RTE_ARP_OP_REQUEST, ip4("192.168.10.10"), ip4("192.168.10.77"), kHostMac)
                              .build();
  CHECK_FALSE(r.nb->on_arp(r.arp_from(0, ask_other), r.clock.now()).neighbours_changed);
  CHECK(r.take().empty());
}

TEST_CASE("an unresolved LAN next hop is asked for at most once per retry time", "[neighbours]") {
  NeighbourRig r;
  auto unresolved = [&] { r.unresolved("192.168.10.50"); };
  unresolved();
  auto s = r.take();
  REQUIRE(s.size() == 1);
  CHECK(s[0].port == 0);
  CHECK(rte_be_to_cpu_32(arp_of(s[0].frame)->arp_data.arp_tip) == ip4("192.168.10.50"));
  r.clock.advance_ms(Neighbours::kNeighborRetryMs - 1);
  unresolved();
  CHECK(r.take().empty());
  r.clock.advance_ms(1);
  unresolved();
  CHECK(r.take().size() == 1);
  CHECK(r.nb->held() == 3);  // waiting for the answer, not dropped
  CHECK(r.nb->no_neighbor_drops() == 0);
}

TEST_CASE("never learns the edge's own MAC, a broadcast or a multicast MAC as a neighbour", "[neighbours]") {
  NeighbourRig r;
  const Mac own_lan{0x02, 0xaa, 0, 0, 0, 0x01}, own_fiber{0x02, 0xaa, 0, 0, 1, 0x01};
  const Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, mcast{0x01, 0x00, 0x5e, 0, 0, 1}, zero{};
  for (const Mac& bad : {own_lan, own_fiber, bcast, mcast, zero}) {
    // Asks for the edge's LAN address, so an accepted sender would also get a reply.
    const Bytes ask = PacketBuilder(PacketBuilder::kDefaultDst, kHostMac)
                          .arp(RTE_ARP_OP_REQUEST, ip4("192.168.10.10"), ip4("192.168.10.1"), bad)
                          .build();
    CHECK_FALSE(r.nb->on_arp(r.arp_from(0, ask), r.clock.now()).neighbours_changed);
  }
  CHECK(r.nb->lan_count() == 0);
  CHECK(r.take().empty());
  CHECK(r.nb->arp_ignored() == 5);

  // Nor as a gateway: fiber's gateway claiming the edge's own fiber MAC is not learned.
  const Bytes gw = PacketBuilder(PacketBuilder::kDefaultDst, kGwMac)
                       .arp(RTE_ARP_OP_REPLY, ip4("100.64.1.1"), ip4("100.64.1.2"), own_fiber)
                       .build();
  CHECK_FALSE(r.nb->on_arp(r.arp_from(1, gw), r.clock.now()).gateway_changed);
  CHECK_FALSE(r.nb->gateways().resolved[0]);
}

TEST_CASE("an ARP claiming one of the edge's addresses is ignored and reported as a conflict", "[neighbours]") {
  NeighbourRig r;
  // A gratuitous ARP (sender = target = the edge's LAN address) from a LAN host.
  const Bytes garp = PacketBuilder(PacketBuilder::kDefaultDst, kHostMac)
                         .arp(RTE_ARP_OP_REQUEST, ip4("192.168.10.1"), ip4("192.168.10.1"), kHostMac)
                         .build();
  Neighbours::ArpFacts f = r.nb->on_arp(r.arp_from(0, garp), r.clock.now());
  CHECK(f.conflict);
  CHECK(f.conflict_ip == ip4("192.168.10.1"));
  CHECK(std::equal(kHostMac.begin(), kHostMac.end(), f.conflict_mac.addr_bytes));
  CHECK_FALSE(f.neighbours_changed);
  CHECK(r.nb->lan_count() == 0);
  CHECK(r.take().empty());  // not answered
  CHECK(r.nb->arp_replies() == 0);

  // A reply claiming the fiber address, on fiber.
  const Bytes claim = PacketBuilder(PacketBuilder::kDefaultDst, kGwMac)
                          .arp(RTE_ARP_OP_REPLY, ip4("100.64.1.2"), ip4("100.64.1.1"), kGwMac)
                          .build();
  f = r.nb->on_arp(r.arp_from(1, claim), r.clock.now());
  CHECK(f.conflict);
  CHECK(f.conflict_ip == ip4("100.64.1.2"));
  CHECK_FALSE(f.gateway_changed);
  CHECK(r.take().empty());

  // An ordinary request from a host is still answered and learned (no conflict).
  const Bytes ask = PacketBuilder(PacketBuilder::kDefaultDst, kHostMac)
                        .arp(RTE_ARP_OP_REQUEST, ip4("192.168.10.10"), ip4("192.168.10.1"), kHostMac)
                        .build();
  f = r.nb->on_arp(r.arp_from(0, ask), r.clock.now());
  CHECK_FALSE(f.conflict);
  CHECK(f.neighbours_changed);
  CHECK(r.take().size() == 1);
}

namespace {
size_t l3_of(const Sent& s) { return s.frame[12] == 0x81 ? 18 : 14; }  // after one 802.1Q tag, if any
const uint8_t* ip_of(const Sent& s) { return s.frame.data() + l3_of(s); }
bool is_arp(const Sent& s) { return s.frame[l3_of(s) - 2] == 0x08 && s.frame[l3_of(s) - 1] == 0x06; }
}  // namespace

TEST_CASE("packets for a LAN host being asked for are held, and sent to it when it answers ARP", "[neighbours]") {
  NeighbourRig r;
  r.unresolved("192.168.20.50", 1);  // the tagged subnet (VLAN 20)
  r.unresolved("192.168.20.50", 2);
  auto s = r.take();
  REQUIRE(s.size() == 1);  // only the ARP request: the packets wait
  CHECK(is_arp(s[0]));
  CHECK(r.nb->held() == 2);

  r.host_asks("192.168.20.50", "192.168.20.1", 20);  // the host appears: learned, and its packets go, oldest first
  s = r.take();
  REQUIRE(s.size() == 3);  // the two held packets, then the ARP reply
  for (size_t i = 0; i < 2; i++) {
    CHECK(std::equal(kHostMac.begin(), kHostMac.end(), s[i].frame.begin()));
    CHECK(std::equal(r.lan_mac.addr_bytes, r.lan_mac.addr_bytes + 6, s[i].frame.begin() + 6));
    REQUIRE(s[i].frame[12] == 0x81);  // tagged with the subnet's VLAN
    CHECK(((s[i].frame[14] & 0x0f) << 8 | s[i].frame[15]) == 20);
    CHECK(ip_of(s[i])[9] == IPPROTO_UDP);
    CHECK(static_cast<size_t>(ip_of(s[i])[20] << 8 | ip_of(s[i])[21]) == i + 1);  // in the order they came
  }
  CHECK(is_arp(s[2]));
  CHECK(r.nb->held() == 0);
  CHECK(r.nb->held_sent() == 2);
  CHECK(r.nb->no_neighbor_drops() == 0);
  CHECK(rte_mempool_in_use_count(r.pool) == 0);
}

TEST_CASE("a host control has learned gets its packet at once, before the workers' table has it", "[neighbours]") {
  NeighbourRig r;
  r.host_asks("192.168.10.10", "192.168.10.1");  // learned by control; the new table is not published yet
  r.take();
  r.unresolved("192.168.10.10");  // the worker's table still lacks the host: it hands the reply over
  const auto s = r.take();
  REQUIRE(s.size() == 1);  // the packet itself, no ARP request
  CHECK_FALSE(is_arp(s[0]));
  CHECK(std::equal(kHostMac.begin(), kHostMac.end(), s[0].frame.begin()));
  CHECK(s[0].frame[12] == 0x08);  // untagged subnet
  CHECK(r.nb->held_sent() == 1);
  CHECK(r.nb->arp_requests() == 0);
  CHECK(r.nb->no_neighbor_drops() == 0);
}

TEST_CASE("held packets are bounded per host, asked for again while held, dropped when no answer comes",
          "[neighbours]") {
  NeighbourRig r;
  for (uint16_t i = 0; i < ArpHold::kPerHost + 2; i++) r.unresolved("192.168.10.60", i);
  CHECK(r.nb->held() == ArpHold::kPerHost);
  CHECK(r.nb->no_neighbor_drops() == 2);  // no room: counted, freed
  CHECK(r.take().size() == 1);

  r.clock.advance_ms(Neighbours::kNeighborRetryMs);
  r.nb->tick_held(r.clock.now());
  CHECK(r.take().size() == 1);  // asked again, without new packets
  r.clock.advance_ms(ArpHold::kHoldMs - Neighbours::kNeighborRetryMs - 1);
  r.nb->tick_held(r.clock.now());
  CHECK(r.nb->held() == ArpHold::kPerHost);  // not yet
  r.clock.advance_ms(1);
  r.nb->tick_held(r.clock.now());
  CHECK(r.nb->held() == 0);
  CHECK(r.nb->no_neighbor_drops() == 2 + ArpHold::kPerHost);
  CHECK(rte_mempool_in_use_count(r.pool) == 0);
}

TEST_CASE("the hold has a total bound, and shutdown frees what it holds as no_neighbor drops", "[neighbours]") {
  NeighbourRig r;
  for (size_t h = 0; h <= ArpHold::kTotal / ArpHold::kPerHost; h++)
    for (uint16_t i = 0; i < ArpHold::kPerHost; i++) r.unresolved(fmt::format("192.168.10.{}", 100 + h).c_str(), i);
  CHECK(r.nb->held() == ArpHold::kTotal);
  CHECK(r.nb->no_neighbor_drops() == ArpHold::kPerHost);  // the last host found no room
  r.nb->drop_held();
  CHECK(r.nb->held() == 0);
  CHECK(r.nb->no_neighbor_drops() == ArpHold::kPerHost + ArpHold::kTotal);
  r.take();
  CHECK(rte_mempool_in_use_count(r.pool) == 0);
}

TEST_CASE("a static neighbour stands against ARP claiming its address with another MAC, which is reported",
          "[neighbours]") {
  NeighbourRig r;
  const MacAddress fixed{0x02, 0, 0, 0, 0x10, 0x99};
  r.policy.lan.neighbors = {StaticNeighbor{ip4("192.168.10.10"), fixed}};
  CHECK(r.nb->apply_lan_policy());
  CHECK_FALSE(r.nb->apply_lan_policy());  // nothing more to change
  REQUIRE(r.nb->lan_count() == 1);

  // Another MAC claims the address (asking for the edge, as a spoofer would): ignored, not answered, reported.
  const Bytes claim = PacketBuilder(PacketBuilder::kDefaultDst, kHostMac)
                          .arp(RTE_ARP_OP_REQUEST, ip4("192.168.10.10"), ip4("192.168.10.1"), kHostMac)
                          .build();
  const Neighbours::ArpFacts f = r.nb->on_arp(r.arp_from(0, claim), r.clock.now());
  CHECK(f.conflict);
  CHECK(f.conflict_static);
  CHECK(f.conflict_ip == ip4("192.168.10.10"));
  CHECK(std::equal(kHostMac.begin(), kHostMac.end(), f.conflict_mac.addr_bytes));
  CHECK_FALSE(f.neighbours_changed);
  CHECK(r.take().empty());
  CHECK(r.nb->arp_ignored() == 1);

  // Packets for the address still go to the static MAC.
  r.unresolved("192.168.10.10");
  auto s = r.take();
  REQUIRE(s.size() == 1);
  CHECK(std::equal(fixed.begin(), fixed.end(), s[0].frame.begin()));

  // The host itself is answered as usual.
  const Mac own{fixed[0], fixed[1], fixed[2], fixed[3], fixed[4], fixed[5]};
  const Bytes ask = PacketBuilder(PacketBuilder::kDefaultDst, own)
                        .arp(RTE_ARP_OP_REQUEST, ip4("192.168.10.10"), ip4("192.168.10.1"), own)
                        .build();
  CHECK_FALSE(r.nb->on_arp(r.arp_from(0, ask), r.clock.now()).conflict);
  CHECK(r.take().size() == 1);

  // Taken out of the policy: forgotten, so ARP may teach another MAC.
  r.policy.lan.neighbors.clear();
  CHECK(r.nb->apply_lan_policy());
  CHECK(r.nb->lan_count() == 0);
  CHECK(r.nb->on_arp(r.arp_from(0, claim), r.clock.now()).neighbours_changed);
  CHECK(rte_mempool_in_use_count(r.pool) == 0);
}

TEST_CASE("a reload that removes a subnet drops the packets held for its hosts at once", "[neighbours]") {
  NeighbourRig r;
  for (uint16_t i = 0; i < 3; i++) r.unresolved("192.168.20.77", i);  // the guest subnet
  r.unresolved("192.168.10.77");
  CHECK(r.nb->held() == 4);
  CHECK(r.nb->asking() == 2);
  r.policy.lan.subnets.pop_back();  // the guest subnet goes
  r.nb->apply_lan_policy();
  CHECK(r.nb->held() == 1);  // the staff host's packet still waits for its answer
  CHECK(r.nb->no_neighbor_drops() == 3);
  CHECK(r.nb->asking() == 1);
  r.take();
  r.nb->drop_held();
  CHECK(rte_mempool_in_use_count(r.pool) == 0);
}

TEST_CASE("requests older than the retry time are forgotten, so the rate limit holds only recent targets",
          "[neighbours]") {
  NeighbourRig r;
  for (int h = 0; h < 50; h++) r.unresolved(fmt::format("192.168.10.{}", 100 + h).c_str());
  CHECK(r.take().size() == 50);
  CHECK(r.nb->asking() == 50);
  r.nb->drop_held();  // no packets waiting: nothing asks again
  r.clock.advance_ms(Neighbours::kNeighborRetryMs - 1);
  r.nb->tick_held(r.clock.now());
  CHECK(r.nb->asking() == 50);  // still limiting
  r.unresolved("192.168.10.100");
  CHECK(r.take().empty());
  r.clock.advance_ms(Neighbours::kNeighborRetryMs + 1);  // a sweep runs at most once per retry time
  r.nb->tick_held(r.clock.now());
  CHECK(r.nb->asking() == 1);  // only .100, asked again just now because its packet above still waits
  CHECK(r.take().size() == 1);
  r.unresolved("192.168.10.101");  // forgotten: asked for at once, as before
  const auto s = r.take();
  REQUIRE(s.size() == 1);
  CHECK(rte_be_to_cpu_32(arp_of(s[0].frame)->arp_data.arp_tip) == ip4("192.168.10.101"));
  r.nb->drop_held();
  CHECK(rte_mempool_in_use_count(r.pool) == 0);
}
