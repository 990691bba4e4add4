// Forwarding tests over real DPDK ports (net_ring ethdevs made with rte_eth_from_rings): the control plane
// publishes a snapshot, one worker iteration forwards, and the test reads what each port transmitted.
#include <catch2/catch.hpp>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "control/operations/stats.hpp"
#include "control/runtime/control_plane.hpp"
#include "dataplane/hop_limit.hpp"
#include "dataplane/setup/ports.hpp"
#include "dataplane/worker.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const Mac kHost{0x02, 0, 0, 0, 0x10, 0x10};
const Mac kGuest{0x02, 0, 0, 0, 0x20, 0x10};
const MacAddress& kFiberGw = kRigFiberGw;
const MacAddress& kLteGw = kRigLteGw;

Policy office_policy() {
  Policy p = rig_office_skeleton();
  MacAddress h, g;
  std::copy(kHost.begin(), kHost.end(), h.begin());
  std::copy(kGuest.begin(), kGuest.end(), g.begin());
  p.lan.neighbors = {StaticNeighbor{ip4("192.168.10.10"), h}, StaticNeighbor{ip4("192.168.20.10"), g}};
  p.classes = {ClassSpec{"voip", SteerMode::priority, {0, 1}, {}}, ClassSpec{"guest", SteerMode::priority, {0}, {}},
               ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  p.default_class = 2;
  ClassRule guest;
  guest.class_id = 1;
  guest.vlan = 20;
  ClassRule voip;
  voip.class_id = 0;
  voip.proto = 17;
  voip.dport = PortRange{5060, 5061};
  p.rules = {guest, voip};
  return p;
}

// The shared rig (tests/unit/control_rig.hpp) with the office policy by default.
struct Rig : ControlRig {
  explicit Rig(Policy policy = office_policy()) : ControlRig(std::move(policy)) {}
};

Bytes voip_frame(uint16_t sport = 40000) {
  return PacketBuilder(PacketBuilder::kDefaultDst, kHost)
      .ipv4(ip4("192.168.10.10"), ip4("203.0.113.10"), Ipv4Opts{.ttl = 64})
      .udp(sport, 5060)
      .payload(20)
      .build();
}

Bytes guest_frame() {
  return PacketBuilder(PacketBuilder::kDefaultDst, kGuest)
      .vlan(20)
      .ipv4(ip4("192.168.20.10"), ip4("203.0.113.10"))
      .tcp(50000, 443)
      .build();
}

bool ipv4_checksum_ok(const Bytes& f, size_t l3) {
  rte_ipv4_hdr h;
  std::memcpy(&h, f.data() + l3, sizeof h);
  return rte_ipv4_cksum(&h) == 0 || h.hdr_checksum == [&] {
    rte_ipv4_hdr z = h;
    z.hdr_checksum = 0;
    return rte_ipv4_cksum(&z);
  }();
}

}  // namespace

TEST_CASE("voip goes out on fiber with TTL decremented and Ethernet rewritten to the gateway", "[forward]") {
  Rig rig;
  rig.inject(0, voip_frame());
  rig.poll();
  auto fiber = rig.sent(1);
  REQUIRE(fiber.size() == 1);
  CHECK(rig.sent(2).empty());
  const Bytes& f = fiber[0];
  CHECK(std::equal(kFiberGw.begin(), kFiberGw.end(), f.begin()));
  CHECK(std::equal(f.begin() + 6, f.begin() + 12, rig.rt.link_mac[0].addr_bytes));
  CHECK(f[14 + 8] == 63);  // TTL
  CHECK(ipv4_checksum_ok(f, 14));
  // Counted once, as class voip on fiber, when the NIC took it (tx_flush counts class x link).
  CHECK(sum_counters({rig.w}).class_link_packets[0][0] == 1);
}

TEST_CASE("guest traffic loses its VLAN tag on the way out and never reaches lte", "[forward]") {
  Rig rig;
  rig.inject(0, guest_frame());
  rig.poll();
  auto fiber = rig.sent(1);
  REQUIRE(fiber.size() == 1);
  CHECK(fiber[0][12] == 0x08);  // ethertype IPv4 right after the MACs: tag stripped
  CHECK(fiber[0][13] == 0x00);
  CHECK(fiber[0].size() == guest_frame().size() - 4);

  REQUIRE(rig.cp->handle_command("link down fiber").rfind("link fiber: admin down", 0) == 0);
  rig.inject(0, guest_frame());
  rig.inject(0, voip_frame());
  rig.poll();
  CHECK(rig.sent(1).empty());
  auto lte = rig.sent(2);
  REQUIRE(lte.size() == 1);  // only voip
  CHECK(std::equal(kLteGw.begin(), kLteGw.end(), lte[0].begin()));
  CHECK(rig.w->counters.class_no_link[1].get() == 1);
  CHECK(rig.w->counters.drop[static_cast<int>(DropReason::no_usable_link)].get() == 1);
}

TEST_CASE("a cached flow moves at once when its link is withdrawn, and new flows return after link up", "[forward]") {
  Rig rig;
  rig.inject(0, voip_frame(41000));
  rig.poll();
  REQUIRE(rig.sent(1).size() == 1);
  rig.cp->handle_command("link down fiber");
  rig.inject(0, voip_frame(41000));
  rig.poll();
  CHECK(rig.sent(2).size() == 1);
  CHECK(rig.w->counters.flow_moves.get() == 1);
  CHECK(rig.w->counters.flow_hits.get() == 1);
  rig.cp->handle_command("link up fiber");
  rig.inject(0, voip_frame(41001));
  rig.poll();
  CHECK(rig.sent(1).size() == 1);
}

TEST_CASE("the edge answers ICMP echo for its LAN address and answers TTL-1 transit packets with time exceeded",
          "[forward]") {
  Rig rig;
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kHost)
                    .ipv4(ip4("192.168.10.10"), ip4("192.168.10.1"))
                    .icmp(8, 0, 7, 1)
                    .payload(32)
                    .build());
  rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kHost)
                    .ipv4(ip4("192.168.10.10"), ip4("203.0.113.10"), Ipv4Opts{.ttl = 1})
                    .udp(1234, 53)
                    .build());
  rig.poll();
  auto lan = rig.sent(0);
  REQUIRE(lan.size() == 2);  // the echo reply, then the time exceeded (tests/unit/test_icmp.cpp checks it in full)
  CHECK(std::equal(kHost.begin(), kHost.end(), lan[0].begin()));
  CHECK(lan[0][14 + 20] == 0);   // ICMP echo reply
  CHECK(lan[1][14 + 20] == 11);  // ICMP time exceeded
  CHECK(rig.sent(1).empty());
  CHECK(rig.w->counters.drop[static_cast<int>(DropReason::ttl_expired)].get() == 1);
}

TEST_CASE("return traffic to a guest host gets its VLAN tag and MAC; unknown hosts go to control", "[forward]") {
  Policy routed = office_policy();
  for (LinkSpec& l : routed.links) l.nat = false;  // WAN packets addressed to LAN hosts pass only on routed links
  Rig rig(routed);
  // The routed links' firewall lets in replies only: both hosts open their sessions first.
  rig.inject(0, guest_frame());
  rig.inject(0, PacketBuilder().ipv4(ip4("192.168.10.77"), ip4("203.0.113.10")).tcp(50000, 443).build());
  rig.poll();
  REQUIRE(rig.sent(1).size() == 2);
  const auto reply_to = [](const char* host) {
    return PacketBuilder(Mac{}, Mac{0x02, 0, 0, 0, 0x01, 0x01})
        .ipv4(ip4("203.0.113.10"), ip4(host))
        .tcp(443, 50000, 0x12)
        .build();
  };
  rig.inject(1, reply_to("192.168.20.10"));
  rig.inject(1, reply_to("192.168.10.77"));
  rig.inject(1, reply_to("192.168.10.78"));  // opened nothing: the firewall drops it
  rig.poll();
  auto lan = rig.sent(0);
  REQUIRE(lan.size() == 1);
  CHECK(std::equal(kGuest.begin(), kGuest.end(), lan[0].begin()));
  CHECK(lan[0][12] == 0x81);
  CHECK(lan[0][13] == 0x00);
  CHECK((((lan[0][14] << 8) | lan[0][15]) & 0xfff) == 20);
  CHECK(rig.w->counters.to_control.get() == 1);  // 192.168.10.77 has no MAC yet: control ARPs for it
  CHECK(rig.w->counters.drop[static_cast<int>(DropReason::firewall_no_session)].get() == 1);
}

TEST_CASE("every mbuf goes back to the pool", "[forward]") {
  Rig rig;
  unsigned base = rte_mempool_in_use_count(rig.pool);
  for (int i = 0; i < 50; i++) rig.inject(0, voip_frame(static_cast<uint16_t>(42000 + i)));
  rig.inject(0, Bytes{0x01, 0x02, 0x03});  // runt
  rig.poll();
  rig.poll();
  CHECK(rig.sent(1).size() == 50);
  CHECK(rte_mempool_in_use_count(rig.pool) == base);
}

TEST_CASE("ipv4_decrement_ttl keeps the header checksum valid for every TTL", "[forward]") {
  rte_mempool* pool = make_test_pool("ttl_pool", 63);
  REQUIRE(pool);
  for (int ttl = 2; ttl <= 255; ttl++) {
    Bytes f = PacketBuilder()
                  .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), Ipv4Opts{.ttl = static_cast<uint8_t>(ttl)})
                  .udp(1, 2)
                  .build();
    rte_mbuf* m = to_mbuf(pool, f);
    REQUIRE(ipv4_decrement_ttl(m, 14));
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, 14);
    uint16_t got = ip->hdr_checksum;
    ip->hdr_checksum = 0;
    CHECK(got == rte_ipv4_cksum(ip));
    CHECK(ip->time_to_live == ttl - 1);
    rte_pktmbuf_free(m);
  }
  rte_mempool_free(pool);
}

TEST_CASE("ipv4_ttl_decrement gives RFC 1624's checksum for every checksum value", "[forward]") {
  // The one TTL update of both front ends: checksum + 1 with end-around carry on the little-endian word must be
  // HC' = ~(~HC + 0xFEFF) (RFC 1624, eqn. 3, the TTL/protocol word dropped by 0x0100) for every HC.
  for (uint32_t hc = 0; hc <= 0xffff; hc++) {
    uint8_t ip[20] = {0x45};
    ip[8] = 64;
    ip[9] = 17;
    ip[10] = static_cast<uint8_t>(hc >> 8);  // the checksum as on the wire
    ip[11] = static_cast<uint8_t>(hc);
    ipv4_ttl_decrement(ip);
    uint32_t sum = static_cast<uint16_t>(~hc) + 0xFEFFu;
    sum = (sum & 0xffff) + (sum >> 16);
    const uint16_t want = static_cast<uint16_t>(~sum);
    INFO("checksum " << hc);
    REQUIRE(ip[8] == 63);
    REQUIRE(ip[9] == 17);
    REQUIRE(((ip[10] << 8) | ip[11]) == want);
  }
}

TEST_CASE("stick_by host-pair: every flow between two hosts takes the pair's link, in balance mode too", "[forward]") {
  Policy p = office_policy();
  p.classes[0].mode = SteerMode::balance;  // voip spread over fiber and lte by flow hash ...
  auto links_used = [](Rig& rig) {
    for (uint16_t sport = 42000; sport < 42032; sport++) rig.inject(0, voip_frame(sport));
    rig.poll();
    return std::make_pair(rig.sent(1).size(), rig.sent(2).size());
  };
  {
    Rig rig(p);
    auto [fiber, lte] = links_used(rig);
    CHECK(fiber + lte == 32);
    CHECK(fiber > 0);  // per flow: 32 flows land on both links
    CHECK(lte > 0);
  }
  p.classes[0].stick_by = StickBy::host_pair;  // ... unless the pair decides
  {
    Rig rig(p);
    auto [fiber, lte] = links_used(rig);
    CHECK(fiber + lte == 32);
    CHECK((fiber == 32 || lte == 32));
  }
}

TEST_CASE("on_recovery stay with host-pair: a call's new flows follow it on the backup after recovery", "[forward]") {
  for (bool stay : {false, true}) {
    Policy p = office_policy();
    p.classes[0].stick_by = StickBy::host_pair;
    p.classes[0].on_recovery = stay ? OnRecovery::stay : OnRecovery::back;
    Rig rig(p);
    rig.cp->handle_command("link down fiber");
    rig.inject(0, voip_frame(43000));  // SIP of the call, while fiber is down: lte
    rig.poll();
    REQUIRE(rig.sent(2).size() == 1);
    rig.cp->handle_command("link up fiber");
    rig.inject(0, voip_frame(43000));  // the call goes on ...
    rig.inject(0, voip_frame(43002));  // ... and opens its RTP flow
    rig.poll();
    INFO("on_recovery " << (stay ? "stay" : "return"));
    CHECK(rig.sent(1).size() == (stay ? 0u : 2u));
    CHECK(rig.sent(2).size() == (stay ? 2u : 0u));
  }
}

TEST_CASE("with no usable link a flow's state is kept, and it resumes on its link when one returns", "[forward]") {
  Rig rig;
  rig.inject(0, voip_frame(44000));
  rig.poll();
  REQUIRE(rig.sent(1).size() == 1);
  const uint64_t misses = rig.w->counters.flow_misses.get();
  rig.cp->handle_command("link down fiber");
  rig.cp->handle_command("link down lte");
  rig.inject(0, voip_frame(44000));
  rig.poll();
  CHECK(rig.sent(1).empty());
  CHECK(rig.sent(2).empty());
  CHECK(rig.w->counters.class_no_link[0].get() == 1);  // dropped and counted, not torn down
  rig.cp->handle_command("link up fiber");
  rig.cp->handle_command("link up lte");
  rig.inject(0, voip_frame(44000));
  rig.poll();
  CHECK(rig.sent(1).size() == 1);                      // back on its own link
  CHECK(rig.w->counters.flow_misses.get() == misses);  // never reclassified: its cache entry survived
  CHECK(rig.w->counters.flow_moves.get() == 0);
}

TEST_CASE("a reload alone never moves a flow: a call kept on the backup after recovery stays there", "[forward]") {
  for (bool host_pair : {false, true}) {
    Policy p = office_policy();
    p.classes[0].on_recovery = OnRecovery::stay;
    if (host_pair) p.classes[0].stick_by = StickBy::host_pair;
    INFO((host_pair ? "stick_by host_pair" : "per flow"));
    Rig rig(p);
    rig.cp->handle_command("link down fiber");
    rig.inject(0, voip_frame(45000));
    rig.poll();
    REQUIRE(rig.sent(2).size() == 1);
    rig.cp->handle_command("link up fiber");
    rig.inject(0, voip_frame(45000));
    rig.poll();
    REQUIRE(rig.sent(2).size() == 1);  // stays on lte after recovery
    const std::string answer = rig.cp->adopt_policy(p);
    REQUIRE(answer.find("loaded") != std::string::npos);
    const uint64_t moves = rig.w->counters.flow_moves.get();
    rig.inject(0, voip_frame(45000));
    rig.poll();
    CHECK(rig.sent(1).empty());
    CHECK(rig.sent(2).size() == 1);  // reclassified under the new policy, still on lte
    CHECK(rig.w->counters.flow_moves.get() == moves);
    rig.inject(0, voip_frame(45004));  // a new call after the reload: the plan's first choice
    rig.poll();
    CHECK(rig.sent(host_pair ? 2 : 1).size() == 1);
  }
}

TEST_CASE("class x link counts what the NIC took: packets a full tx ring refuses are tx_full drops only", "[forward]") {
  Rig rig;
  const unsigned base = rte_mempool_in_use_count(rig.pool);
  // Fill fiber's tx ring (256 slots, 255 usable) to 5 free slots with mbufs of our own.
  std::vector<rte_mbuf*> filler(250);
  REQUIRE(rte_pktmbuf_alloc_bulk(rig.pool, filler.data(), 250) == 0);
  REQUIRE(rte_ring_enqueue_bulk(rig.tx[1], reinterpret_cast<void**>(filler.data()), 250, nullptr) == 250);
  const Bytes frame = voip_frame();
  for (int i = 0; i < 20; i++) rig.inject(0, voip_frame(static_cast<uint16_t>(43000 + i)));
  rig.poll();
  const ClassLinkCounters& voip_fiber = rig.w->counters.class_link[0][0];
  CHECK(voip_fiber.packets.get() == 5);
  CHECK(voip_fiber.bytes.get() == 5 * frame.size());
  CHECK(rig.w->counters.drop[static_cast<int>(DropReason::tx_full)].get() == 15);
  CHECK(rig.w->counters.port[1].tx_packets.get() == 5);
  CHECK(rig.sent(1).size() == 255);  // our 250 and the 5 it took
  // The next flush starts from zero tallies: 3 more packets, all taken.
  for (int i = 0; i < 3; i++) rig.inject(0, voip_frame(static_cast<uint16_t>(43000 + i)));
  rig.poll();
  CHECK(voip_fiber.packets.get() == 8);
  CHECK(voip_fiber.bytes.get() == 8 * frame.size());
  CHECK(rig.sent(1).size() == 3);
  CHECK(rte_mempool_in_use_count(rig.pool) == base);
}
