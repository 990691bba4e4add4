// ICMP the edge originates or answers, over real net_ring ports (tests/unit/control_rig.hpp): time exceeded for
// expiring packets both ways (quote, checksums, RFC 1812 exceptions, the per-worker budget), echo replies for any
// size and mbuf chain, and pings from the LAN to the edge's own WAN addresses.
#include <catch2/catch.hpp>

#include <algorithm>

#include <rte_cycles.h>
#include <rte_ip.h>

#include "dataplane/frame_edit.hpp"
#include "dataplane/icmp_error.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/packet_builder.hpp"
#include "tests/unit/whole_frames.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const Mac kHost{0x02, 0, 0, 0, 0x10, 0x10};
const Mac kGuest{0x02, 0, 0, 0, 0x20, 0x10};
const Mac kFiberGwMac{0x02, 0, 0, 0, 0x01, 0x01};

Policy icmp_policy() {
  Policy p = rig_office_skeleton();
  MacAddress h, g;
  std::copy(kHost.begin(), kHost.end(), h.begin());
  std::copy(kGuest.begin(), kGuest.end(), g.begin());
  p.lan.neighbors = {StaticNeighbor{ip4("192.168.10.10"), h}, StaticNeighbor{ip4("192.168.20.10"), g}};
  p.classes = {ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  p.default_class = 0;
  for (LinkSpec& l : p.links) l.nat = false;  // routed links: WAN packets to LAN hosts expire here, not at NAT
  return p;
}

struct Rig : ControlRig {
  Rig() : ControlRig(icmp_policy()) {}
  // 192.168.10.10:50000 sends to 203.0.113.10:443: the routed link's firewall lets that endpoint's replies in.
  void open_session() {
    inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kHost)
                  .ipv4(ip4("192.168.10.10"), ip4("203.0.113.10"))
                  .udp(50000, 443)
                  .build());
    poll();
    REQUIRE(sent(1).size() == 1);
  }
  uint64_t drops(DropReason r) const { return w->counters.drop[static_cast<int>(r)].get(); }
  // Everything port `port` transmitted, every segment of each frame joined; the mbufs are freed.
  std::vector<Bytes> sent_whole(int port) { return whole_frames(tx[port]); }
  // Injects a frame as a chain of mbufs: the first `first` bytes, then `rest` bytes per segment.
  void inject_chained(int port, Bytes frame, size_t first, size_t rest) {
    // to the LAN port's real MAC, as inject() does (admission drops frames to any other unicast MAC)
    if (port == 0 && std::equal(frame.begin(), frame.begin() + 6, PacketBuilder::kDefaultDst.begin()))
      std::copy(rt.lan_mac.addr_bytes, rt.lan_mac.addr_bytes + 6, frame.begin());
    rte_mbuf* head = nullptr;
    for (size_t off = 0; off < frame.size();) {
      const size_t n = std::min(frame.size() - off, off == 0 ? first : rest);
      rte_mbuf* seg = to_mbuf(pool, Bytes(frame.begin() + off, frame.begin() + off + n));
      REQUIRE(seg != nullptr);
      if (head == nullptr)
        head = seg;
      else
        REQUIRE(rte_pktmbuf_chain(head, seg) == 0);
      off += n;
    }
    REQUIRE(rte_ring_enqueue(rx[port], head) == 0);
  }
};

uint32_t be32_at(const Bytes& f, size_t at) {
  return (uint32_t{f[at]} << 24) | (uint32_t{f[at + 1]} << 16) | (uint32_t{f[at + 2]} << 8) | f[at + 3];
}

// One's-complement sum of f[at, at+len) folded: 0xffff when a checksum inside it is right.
uint16_t folded_sum(const Bytes& f, size_t at, size_t len) {
  uint32_t s = 0;
  for (size_t i = 0; i < len; i += 2) s += (uint32_t{f[at + i]} << 8) | (i + 1 < len ? f[at + i + 1] : 0);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

Bytes probe_from_lan(uint8_t ttl = 1, uint16_t dport = 33434) {
  return PacketBuilder(PacketBuilder::kDefaultDst, kHost)
      .ipv4(ip4("192.168.10.10"), ip4("203.0.113.10"), Ipv4Opts{.ttl = ttl})
      .udp(40000, dport)
      .payload(32)
      .build();
}

// Checks a time exceeded in `reply` (L3 at `l3`) from `from` quoting `orig`'s IP packet (L3 at `orig_l3`).
void check_time_exceeded(const Bytes& reply, size_t l3, uint32_t from, const Bytes& orig, size_t orig_l3) {
  REQUIRE(reply.size() >= l3 + 28 + 28);
  CHECK(reply[l3] == 0x45);
  CHECK(reply[l3 + 9] == 1);                   // ICMP
  CHECK(folded_sum(reply, l3, 20) == 0xffff);  // IP header checksum
  CHECK(be32_at(reply, l3 + 12) == from);      // the arrival interface
  CHECK(std::equal(orig.begin() + orig_l3 + 12, orig.begin() + orig_l3 + 16, reply.begin() + l3 + 16));  // to src
  const size_t ip_len = (size_t{reply[l3 + 2]} << 8) | reply[l3 + 3];
  REQUIRE(reply.size() >= l3 + ip_len);
  CHECK(ip_len <= kIcmpErrorMaxIpLen);
  CHECK(reply[l3 + 20] == 11);                               // time exceeded
  CHECK(reply[l3 + 21] == 0);                                // in transit
  CHECK(folded_sum(reply, l3 + 20, ip_len - 20) == 0xffff);  // ICMP checksum
  const size_t quote = std::min(ip_len - 28, orig.size() - orig_l3);
  CHECK(quote >= 28);  // IP header + 8 bytes at least
  CHECK(std::equal(orig.begin() + orig_l3, orig.begin() + orig_l3 + quote, reply.begin() + l3 + 28));
}

}  // namespace

TEST_CASE("traceroute from the LAN: TTL 1 gets a time exceeded from the LAN address, quoting the probe", "[icmp]") {
  Rig rig;
  const Bytes probe = probe_from_lan();
  rig.inject(0, probe);
  rig.poll();
  auto lan = rig.sent_whole(0);
  REQUIRE(lan.size() == 1);
  CHECK(std::equal(kHost.begin(), kHost.end(), lan[0].begin()));  // back to the sender's MAC
  CHECK(std::equal(rig.rt.lan_mac.addr_bytes, rig.rt.lan_mac.addr_bytes + 6, lan[0].begin() + 6));
  check_time_exceeded(lan[0], 14, ip4("192.168.10.1"), probe, 14);
  CHECK(lan[0][14 + 28 + 8] == 1);  // the quoted header as it arrived, TTL 1
  CHECK(rig.sent(1).empty());
  CHECK(rig.drops(DropReason::ttl_expired) == 1);  // still counted as a drop
  CHECK(rig.w->counters.icmp_errors_sent.get() == 1);
}

TEST_CASE("a guest's expiring packet gets its time exceeded on its VLAN, from the guest subnet's address", "[icmp]") {
  Rig rig;
  const Bytes probe = PacketBuilder(PacketBuilder::kDefaultDst, kGuest)
                          .vlan(20)
                          .ipv4(ip4("192.168.20.10"), ip4("203.0.113.10"), Ipv4Opts{.ttl = 1})
                          .icmp(8, 0, 9, 1)
                          .payload(600)
                          .build();
  rig.inject(0, probe);
  rig.poll();
  auto lan = rig.sent_whole(0);
  REQUIRE(lan.size() == 1);
  CHECK((((lan[0][14] << 8) | lan[0][15]) & 0xfff) == 20);
  check_time_exceeded(lan[0], 18, ip4("192.168.20.1"), probe, 18);
  CHECK(lan[0].size() == 18 + kIcmpErrorMaxIpLen);  // a long packet is quoted up to 576 bytes of error
}

TEST_CASE("a WAN packet expiring at the edge gets its time exceeded back out the link, from its address", "[icmp]") {
  Rig rig;
  const Bytes in = PacketBuilder(Mac{}, kFiberGwMac)
                       .ipv4(ip4("203.0.113.10"), ip4("192.168.10.10"), Ipv4Opts{.ttl = 1})
                       .udp(443, 50000)
                       .payload(8)
                       .build();
  rig.open_session();
  rig.inject(1, in);
  rig.poll();
  CHECK(rig.sent(0).empty());
  auto fiber = rig.sent_whole(1);
  REQUIRE(fiber.size() == 1);
  CHECK(std::equal(kFiberGwMac.begin(), kFiberGwMac.end(), fiber[0].begin()));
  check_time_exceeded(fiber[0], 14, ip4("100.64.1.2"), in, 14);
  CHECK(rig.drops(DropReason::ttl_expired) == 1);
}

TEST_CASE("no time exceeded for ICMP errors, later fragments, bad sources or link-layer broadcast", "[icmp]") {
  Rig rig;
  rig.open_session();
  auto from_host = [](Mac dst, uint32_t src, const Ipv4Opts& o) {
    return PacketBuilder(dst, kHost).ipv4(src, ip4("203.0.113.10"), o);
  };
  const Ipv4Opts ttl1{.ttl = 1};
  rig.inject(0, from_host(PacketBuilder::kDefaultDst, ip4("192.168.10.10"), ttl1).icmp(3, 3).payload(28).build());
  rig.inject(0, from_host(PacketBuilder::kDefaultDst, ip4("192.168.10.10"), ttl1).icmp(11, 0).payload(28).build());
  rig.inject(0, from_host(PacketBuilder::kDefaultDst, ip4("192.168.10.10"), Ipv4Opts{.ttl = 1, .frag_offset = 8})
                    .payload(40)
                    .build());
  rig.inject(0, from_host(PacketBuilder::kDefaultDst, ip4("0.0.0.0"), ttl1).udp(68, 67).build());
  rig.inject(1, PacketBuilder(Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kFiberGwMac)
                    .ipv4(ip4("203.0.113.10"), ip4("192.168.10.10"), ttl1)
                    .udp(443, 50000)
                    .build());
  rig.poll();
  CHECK(rig.sent_whole(0).empty());
  CHECK(rig.sent_whole(1).empty());
  CHECK(rig.w->counters.icmp_errors_sent.get() == 0);
  CHECK(rig.w->counters.icmp_errors_suppressed.get() == 0);  // not eligible is not suppressed
  CHECK(rig.drops(DropReason::ttl_expired) == 4);            // still dropped and counted
  CHECK(rig.drops(DropReason::source_not_in_subnet) == 1);   // 0.0.0.0: LAN admission refuses it first
  // Sanity: an echo request with TTL 1 is no error and gets its time exceeded.
  rig.inject(0, from_host(PacketBuilder::kDefaultDst, ip4("192.168.10.10"), ttl1).icmp(8, 0).payload(8).build());
  rig.poll();
  CHECK(rig.sent_whole(0).size() == 1);
}

TEST_CASE("a flood of expiring packets gets the worker's burst of errors, the rest counted as suppressed", "[icmp]") {
  Rig rig;
  const uint64_t t0 = rte_get_tsc_hz();  // any start: the budget begins full
  unsigned base = rte_mempool_in_use_count(rig.pool);
  const unsigned flood = 4 * kIcmpErrorBurst;
  size_t replies = 0;
  for (unsigned sent = 0; sent < flood; sent += 50) {
    for (unsigned i = 0; i < 50; i++) rig.inject(0, probe_from_lan(1, static_cast<uint16_t>(33434 + sent + i)));
    while (rte_ring_count(rig.rx[0]) != 0) worker_poll_once(*rig.w, *rig.rt.slot.current.load(), t0);
    replies += rig.sent_whole(0).size();
  }
  CHECK(replies == kIcmpErrorBurst);
  CHECK(rig.w->counters.icmp_errors_sent.get() == kIcmpErrorBurst);
  CHECK(rig.w->counters.icmp_errors_suppressed.get() == flood - kIcmpErrorBurst);
  CHECK(rig.drops(DropReason::ttl_expired) == flood);
  // 20 ms later the budget has earned 20 tokens (1000 a second).
  for (unsigned i = 0; i < 40; i++) rig.inject(0, probe_from_lan(1, static_cast<uint16_t>(40000 + i)));
  while (rte_ring_count(rig.rx[0]) != 0) worker_poll_once(*rig.w, *rig.rt.slot.current.load(), t0 + t0 / 50);
  const size_t later = rig.sent_whole(0).size();
  CHECK(later >= 19);
  CHECK(later <= 20);
  CHECK(rte_mempool_in_use_count(rig.pool) == base);
}

TEST_CASE("echo requests of any size and segment layout get replies whose checksum verifies", "[icmp]") {
  Rig rig;
  struct Case {
    int port;
    uint32_t dst;
    size_t payload, first, rest;
  };
  const Case cases[] = {{0, ip4("192.168.10.1"), 100, 4096, 4096}, {0, ip4("192.168.10.1"), 2000, 60, 1000},
                        {0, ip4("192.168.10.1"), 9000, 42, 2000},  {0, ip4("192.168.10.1"), 9000, 1500, 7},
                        {1, ip4("100.64.1.2"), 3000, 100, 1500},   {0, ip4("192.168.10.1"), 2000, 38, 1000},
                        {0, ip4("192.168.10.1"), 1, 42, 1}};
  for (const Case& c : cases) {
    CAPTURE(c.port, c.payload, c.first, c.rest);
    const uint32_t src = c.port == 0 ? ip4("192.168.10.10") : ip4("203.0.113.10");
    const Bytes req = PacketBuilder(PacketBuilder::kDefaultDst, c.port == 0 ? kHost : kFiberGwMac)
                          .ipv4(src, c.dst)
                          .icmp(8, 0, 77, 5)
                          .payload(c.payload, 0x5a)
                          .build();
    rig.inject_chained(c.port, req, c.first, c.rest);
    rig.poll();
    auto out = rig.sent_whole(c.port);
    REQUIRE(out.size() == 1);
    const Bytes& r = out[0];
    REQUIRE(r.size() == req.size());
    CHECK(r[34] == 0);                                  // echo reply
    CHECK(folded_sum(r, 14, 20) == 0xffff);             // IP header
    CHECK(folded_sum(r, 34, r.size() - 34) == 0xffff);  // ICMP, over every segment
    CHECK(be32_at(r, 26) == c.dst);                     // from the address pinged
    CHECK(be32_at(r, 30) == src);
    CHECK(std::equal(req.begin() + 38, req.end(), r.begin() + 38));  // identifier, sequence and data unchanged
  }
  CHECK(rig.w->counters.icmp_echo_replies_sent.get() == std::size(cases));
}

TEST_CASE("checksum_update16 gives the recomputed checksum for the echo type change, every checksum value", "[icmp]") {
  for (uint32_t rest = 0; rest <= 0xffff; rest++) {  // the sum of the words that do not change
    const uint16_t before =
        static_cast<uint16_t>(~folded_sum(Bytes{0x08, 0x00, uint8_t(rest >> 8), uint8_t(rest)}, 0, 4));
    const uint16_t after =
        static_cast<uint16_t>(~folded_sum(Bytes{0x00, 0x00, uint8_t(rest >> 8), uint8_t(rest)}, 0, 4));
    const uint16_t got = checksum_update16(before, 0x0800, 0x0000);
    // One's complement has two zeros: accept either form of the same sum.
    if (got != after) REQUIRE(static_cast<uint16_t>(got + after) == 0xffff);
  }
}

TEST_CASE("a LAN ping to the edge's own WAN addresses is answered by the edge, never routed to an ISP", "[icmp]") {
  Rig rig;
  for (const char* wan : {"100.64.1.2", "100.64.2.2"}) {
    for (int round = 0; round < 2; round++) {  // the second round would find a cached flow, if one had been made
      rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kHost)
                        .ipv4(ip4("192.168.10.10"), ip4(wan))
                        .icmp(8, 0, 3, static_cast<uint16_t>(round))
                        .payload(56)
                        .build());
      rig.inject(0, PacketBuilder(PacketBuilder::kDefaultDst, kHost)
                        .ipv4(ip4("192.168.10.10"), ip4(wan))
                        .udp(40000, 5060)
                        .build());
      rig.poll();
      auto lan = rig.sent_whole(0);
      REQUIRE(lan.size() == 1);
      CHECK(lan[0][34] == 0);
      CHECK(be32_at(lan[0], 26) == ip4(wan));
      CHECK(folded_sum(lan[0], 34, lan[0].size() - 34) == 0xffff);
      CHECK(rig.sent(1).empty());
      CHECK(rig.sent(2).empty());
    }
  }
  CHECK(rig.drops(DropReason::not_for_us) == 4);   // the UDP ones: for the edge, but no service
  CHECK(rig.w->counters.flow_inserts.get() == 0);  // nothing for the fast lane to find
  CHECK(rig.w->counters.fast_lane.get() == 0);
}
