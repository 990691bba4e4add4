// Unit tests for parse_packet/parse_burst: every good frame kind with all meta fields, every parse drop
// reason, burst compaction and counters, mbuf accounting, and a randomized mutation robustness run.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <set>
#include <string>

#include <rte_mempool.h>

#include "dataplane/parse.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

rte_mempool* parse_pool() {
  static rte_mempool* pool = make_test_pool("parse_test_pool", 2047);
  return pool;
}

struct Expect {
  L3 l3;
  std::array<uint8_t, 16> src, dst;
  uint16_t sport, dport;
  uint16_t l3_offset, l4_offset, l3_len;
  uint16_t vlan, inner_vlan;
  uint8_t vlan_count;
  uint8_t proto, dscp, flags, icmp_type;
};

struct GoodCase {
  const char* name;
  Bytes frame;
  Expect e;
};

const Ip6 kA6 = ip6("2001:db8::1");
const Ip6 kB6 = ip6("2001:db8:ffff::2");
const uint32_t kA4 = ip4("10.1.2.3");
const uint32_t kB4 = ip4("192.0.2.77");

Expect v4(uint8_t proto, uint16_t sport, uint16_t dport, uint16_t l3o, uint16_t l4o, uint16_t l3len) {
  Expect e{};
  e.l3 = L3::ipv4;
  e.src = ip4_bytes16(kA4);
  e.dst = ip4_bytes16(kB4);
  e.proto = proto;
  e.sport = sport;
  e.dport = dport;
  e.l3_offset = l3o;
  e.l4_offset = l4o;
  e.l3_len = l3len;
  return e;
}
Expect v6(uint8_t proto, uint16_t sport, uint16_t dport, uint16_t l3o, uint16_t l4o, uint16_t l3len) {
  Expect e = v4(proto, sport, dport, l3o, l4o, l3len);
  e.l3 = L3::ipv6;
  e.src = kA6;
  e.dst = kB6;
  return e;
}
template <typename F>
Expect with(Expect e, F f) {
  f(e);
  return e;
}

std::vector<GoodCase> good_cases() {
  constexpr uint8_t F = PacketMeta::kFlagFragment, L = PacketMeta::kFlagLaterFragment;
  std::vector<GoodCase> c;
  c.push_back({"ipv4 tcp untagged dscp46",
               PacketBuilder().ipv4(kA4, kB4, {.dscp = 46}).tcp(40000, 443).payload(10).build(),
               with(v4(6, 40000, 443, 14, 34, 50), [](Expect& e) { e.dscp = 46; })});
  c.push_back({"ipv4 tcp with options", PacketBuilder().ipv4(kA4, kB4).tcp(1, 2, 0x10, Bytes(12, 1)).build(),
               v4(6, 1, 2, 14, 34, 52)});
  c.push_back({"ipv4 udp vlan 100",
               PacketBuilder().vlan(100, 0x8100, 5).ipv4(kA4, kB4).udp(5060, 5061).payload(4).build(),
               with(v4(17, 5060, 5061, 18, 38, 32), [](Expect& e) {
                 e.vlan = 100;
                 e.vlan_count = 1;
               })});
  c.push_back({"ipv4 udp 802.1ad single tag vid 4095",
               PacketBuilder().vlan(4095, 0x88a8, 7).ipv4(kA4, kB4).udp(53, 53).build(),
               with(v4(17, 53, 53, 18, 38, 28), [](Expect& e) {
                 e.vlan = 4095;
                 e.vlan_count = 1;
               })});
  c.push_back(
      {"ipv4 icmp with 8 bytes of options",
       PacketBuilder().ipv4(kA4, kB4, {.options = Bytes{0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00}}).icmp(8).build(),
       with(v4(1, 0, 0, 14, 42, 36), [](Expect& e) { e.icmp_type = 8; })});
  c.push_back({"ipv4 first fragment udp",
               PacketBuilder().ipv4(kA4, kB4, {.mf = true}).udp(1000, 2000).payload(100).build(),
               with(v4(17, 1000, 2000, 14, 34, 128), [](Expect& e) { e.flags = F; })});
  c.push_back({"ipv4 later fragment (ports unknown)",
               PacketBuilder().ipv4(kA4, kB4, {.frag_offset = 185, .proto = 17}).payload(30).build(),
               with(v4(17, 0, 0, 14, 0, 50), [](Expect& e) { e.flags = F | L; })});
  c.push_back({"ipv4 last fragment (MF clear, offset set)",
               PacketBuilder().ipv4(kA4, kB4, {.mf = false, .frag_offset = 1, .proto = 6}).payload(8).build(),
               with(v4(6, 0, 0, 14, 0, 28), [](Expect& e) { e.flags = F | L; })});
  c.push_back({"ipv4 gre (other upper layer)", PacketBuilder().ipv4(kA4, kB4).raw_l4(47, Bytes(4, 0)).build(),
               v4(47, 0, 0, 14, 34, 24)});
  c.push_back({"ipv4 udp with ethernet padding", PacketBuilder().ipv4(kA4, kB4).udp(7, 9).trailer(18).build(),
               v4(17, 7, 9, 14, 34, 28)});
  c.push_back({"ipv6 tcp qinq",
               PacketBuilder().vlan(200, 0x88a8).vlan(300, 0x8100).ipv6(kA6, kB6, {.dscp = 10}).tcp(5000, 80).build(),
               with(v6(6, 5000, 80, 22, 62, 60), [](Expect& e) {
                 e.vlan = 200;
                 e.inner_vlan = 300;
                 e.vlan_count = 2;
                 e.dscp = 10;
               })});
  c.push_back({"ipv6 udp dscp 63",
               PacketBuilder().ipv6(kA6, kB6, {.dscp = 63, .ecn = 3}).udp(1, 65535).payload(3).build(),
               with(v6(17, 1, 65535, 14, 54, 51), [](Expect& e) { e.dscp = 63; })});
  c.push_back({"ipv6 hop-by-hop + tcp", PacketBuilder().ipv6(kA6, kB6).ipv6_ext(0).tcp(10, 20).build(),
               v6(6, 10, 20, 14, 62, 68)});
  c.push_back({"ipv6 routing + udp", PacketBuilder().ipv6(kA6, kB6).ipv6_ext(43, 2).udp(10, 20).build(),
               v6(17, 10, 20, 14, 78, 72)});
  c.push_back({"ipv6 destination options + icmpv6", PacketBuilder().ipv6(kA6, kB6).ipv6_ext(60, 1).icmp6(128).build(),
               with(v6(58, 0, 0, 14, 70, 64), [](Expect& e) { e.icmp_type = 128; })});
  c.push_back(
      {"ipv6 AH + tcp", PacketBuilder().ipv6(kA6, kB6).ipv6_ah(4).tcp(22, 2222).build(), v6(6, 22, 2222, 14, 78, 84)});
  c.push_back({"ipv6 first fragment + udp",
               PacketBuilder().ipv6(kA6, kB6).ipv6_frag(0, true).udp(3, 4).payload(16).build(),
               with(v6(17, 3, 4, 14, 62, 72), [](Expect& e) { e.flags = F; })});
  c.push_back({"ipv6 later fragment",
               PacketBuilder().ipv6(kA6, kB6).ipv6_frag(100, false).raw_l4(17, Bytes(24, 7)).build(),
               with(v6(17, 0, 0, 14, 0, 72), [](Expect& e) { e.flags = F | L; })});
  c.push_back({"ipv6 atomic fragment header is not a fragment",
               PacketBuilder().ipv6(kA6, kB6).ipv6_frag(0, false).udp(3, 4).build(), v6(17, 3, 4, 14, 62, 56)});
  c.push_back({"ipv6 no next header", PacketBuilder().ipv6(kA6, kB6).ipv6_ext(60).build(), v6(59, 0, 0, 14, 0, 48)});
  c.push_back({"ipv6 chain of 8 extensions + udp",
               PacketBuilder()
                   .ipv6(kA6, kB6)
                   .ipv6_ext(0)
                   .ipv6_ext(60)
                   .ipv6_ext(43)
                   .ipv6_frag(0, true)
                   .ipv6_ah(2)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .udp(8, 9)
                   .build(),
               with(v6(17, 8, 9, 14, 54 + 7 * 8 + 16, 40 + 7 * 8 + 16 + 8), [](Expect& e) { e.flags = F; })});
  c.push_back(
      {"arp request vlan 7", PacketBuilder().vlan(7).arp(1, ip4("10.0.0.5"), ip4("10.0.0.1")).trailer(18).build(), [] {
         Expect e{};
         e.l3 = L3::arp;
         e.src = ip4_bytes16(ip4("10.0.0.5"));
         e.dst = ip4_bytes16(ip4("10.0.0.1"));
         e.l3_offset = 18;
         e.l3_len = 28;
         e.vlan = 7;
         e.vlan_count = 1;
         return e;
       }()});
  return c;
}

struct BadCase {
  const char* name;
  Bytes frame;
  DropReason reason;
};

Bytes cut(Bytes f, size_t n) {
  f.resize(n);
  return f;
}

std::vector<BadCase> bad_cases() {
  using D = DropReason;
  std::vector<BadCase> c;
  const Bytes udp4 = PacketBuilder().ipv4(kA4, kB4).udp(1, 2).build();
  c.push_back({"empty frame", {}, D::truncated_ethernet});
  c.push_back({"13 bytes", cut(udp4, 13), D::truncated_ethernet});
  c.push_back({"vlan tag cut", cut(PacketBuilder().vlan(5).ipv4(kA4, kB4).udp(1, 2).build(), 16), D::truncated_vlan});
  c.push_back({"second vlan tag cut", cut(PacketBuilder().vlan(5, 0x88a8).vlan(6).ipv4(kA4, kB4).udp(1, 2).build(), 21),
               D::truncated_vlan});
  c.push_back({"three tags", PacketBuilder().vlan(1, 0x88a8).vlan(2).vlan(3).ipv4(kA4, kB4).udp(1, 2).build(),
               D::too_many_vlans});
  c.push_back({"lldp", PacketBuilder().ethertype(0x88cc).payload(40).build(), D::unsupported_ethertype});
  c.push_back({"ethertype 0 after a vlan tag", PacketBuilder().vlan(9).ethertype(0).payload(40).build(),
               D::unsupported_ethertype});
  c.push_back({"arp 27 bytes", cut(PacketBuilder().arp(1, 1, 2).build(), 14 + 27), D::truncated_arp});
  c.push_back({"ipv4 19 bytes", cut(udp4, 14 + 19), D::truncated_ipv4});
  c.push_back(
      {"ipv4 version 5", PacketBuilder().ipv4(kA4, kB4, {.version = 5}).udp(1, 2).build(), D::bad_ipv4_version});
  c.push_back({"ipv4 version 6 under ethertype ipv4",
               PacketBuilder().ethertype(0x0800).ipv6(kA6, kB6).udp(1, 2).build(), D::bad_ipv4_version});
  c.push_back({"ipv4 ihl 4", PacketBuilder().ipv4(kA4, kB4, {.ihl = 4}).udp(1, 2).build(), D::bad_ipv4_header_length});
  c.push_back({"ipv4 ihl 15 beyond frame", PacketBuilder().ipv4(kA4, kB4, {.ihl = 15}).udp(1, 2).build(),
               D::bad_ipv4_header_length});
  c.push_back({"ipv4 total length below ihl", PacketBuilder().ipv4(kA4, kB4, {.total_length = 19}).udp(1, 2).build(),
               D::bad_ipv4_total_length});
  c.push_back({"ipv4 total length beyond frame", PacketBuilder().ipv4(kA4, kB4, {.total_length = 29}).udp(1, 2).build(),
               D::bad_ipv4_total_length});
  c.push_back({"ipv4 bad checksum", PacketBuilder().ipv4(kA4, kB4, {.checksum = 0x1234}).udp(1, 2).build(),
               D::bad_ipv4_checksum});
  {
    Bytes f = udp4;
    f[14 + 8] ^= 1;  // TTL changed without fixing the checksum
    c.push_back({"ipv4 ttl flipped", f, D::bad_ipv4_checksum});
  }
  c.push_back({"ipv6 39 bytes", cut(PacketBuilder().ipv6(kA6, kB6).udp(1, 2).build(), 14 + 39), D::truncated_ipv6});
  c.push_back(
      {"ipv6 version 4", PacketBuilder().ipv6(kA6, kB6, {.version = 4}).udp(1, 2).build(), D::bad_ipv6_version});
  c.push_back({"ipv6 payload beyond frame", PacketBuilder().ipv6(kA6, kB6, {.payload_length = 9}).udp(1, 2).build(),
               D::bad_ipv6_payload_length});
  c.push_back({"ipv6 nine extensions",
               PacketBuilder()
                   .ipv6(kA6, kB6)
                   .ipv6_ext(0)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .ipv6_ext(60)
                   .udp(1, 2)
                   .build(),
               D::bad_ipv6_extension});
  c.push_back({"ipv6 extension beyond payload length",
               PacketBuilder().ipv6(kA6, kB6, {.payload_length = 16}).ipv6_ext(0, 3).build(), D::bad_ipv6_extension});
  c.push_back({"ipv6 extension cut short",
               cut(PacketBuilder().ipv6(kA6, kB6, {.payload_length = 4}).ipv6_ext(0).build(), 14 + 44),
               D::bad_ipv6_extension});
  c.push_back({"ipv6 AH longer than payload", PacketBuilder().ipv6(kA6, kB6, {.payload_length = 16}).ipv6_ah(4).build(),
               D::bad_ipv6_extension});
  c.push_back({"tcp 10 bytes", PacketBuilder().ipv4(kA4, kB4).raw_l4(6, Bytes(10, 0)).build(), D::truncated_l4});
  c.push_back({"udp 7 bytes", PacketBuilder().ipv4(kA4, kB4).raw_l4(17, Bytes(7, 0)).build(), D::truncated_l4});
  c.push_back({"icmp 3 bytes", PacketBuilder().ipv4(kA4, kB4).raw_l4(1, Bytes(3, 0)).build(), D::truncated_l4});
  c.push_back({"icmpv6 3 bytes", PacketBuilder().ipv6(kA6, kB6).raw_l4(58, Bytes(3, 0)).build(), D::truncated_l4});
  c.push_back({"udp6 after extension 7 bytes",
               PacketBuilder().ipv6(kA6, kB6).ipv6_ext(60).raw_l4(17, Bytes(7, 0)).build(), D::truncated_l4});
  c.push_back({"tcp header beyond ip total length (rest is padding)",
               PacketBuilder().ipv4(kA4, kB4, {.total_length = 30}).tcp(1, 2).build(), D::truncated_l4});
  c.push_back(
      {"tcp data offset 4", PacketBuilder().ipv4(kA4, kB4).tcp(1, 2, 0x02, {}, 4).build(), D::bad_tcp_header_length});
  c.push_back({"tcp data offset 15 beyond packet",
               PacketBuilder().ipv4(kA4, kB4).tcp(1, 2, 0x02, {}, 15).payload(8).build(), D::bad_tcp_header_length});
  c.push_back({"tcp6 data offset 6 beyond packet", PacketBuilder().ipv6(kA6, kB6).tcp(1, 2, 0x02, {}, 6).build(),
               D::bad_tcp_header_length});
  return c;
}

// The reasons parse_burst can produce: every one from truncated_ethernet to bad_tcp_header_length.
constexpr uint32_t kFirstParseReason = static_cast<uint32_t>(DropReason::truncated_ethernet);
constexpr uint32_t kLastParseReason = static_cast<uint32_t>(DropReason::bad_tcp_header_length);

std::string hex(const Bytes& f) {
  std::string s;
  char buf[4];
  for (uint8_t b : f) {
    snprintf(buf, sizeof(buf), "%02x", b);
    s += buf;
  }
  return s;
}

const char* reason_name(DropReason r) {
  return static_cast<uint32_t>(r) < kDropReasonCount ? kDropReasonNames[static_cast<uint32_t>(r)] : "unset";
}

uint64_t total_drops(const WorkerCounters& c) {
  uint64_t t = 0;
  for (uint32_t r = 0; r < kDropReasonCount; ++r) t += c.drop[r].get();
  return t;
}

}  // namespace

TEST_CASE("parse: every kind of good frame fills every meta field", "[parse]") {
  rte_mempool* pool = parse_pool();
  REQUIRE(pool != nullptr);
  const unsigned base = rte_mempool_in_use_count(pool);
  for (const GoodCase& gc : good_cases()) {
    INFO(gc.name << " frame=" << hex(gc.frame));
    rte_mbuf* m = to_mbuf(pool, gc.frame);
    REQUIRE(m != nullptr);
    meta_of(m)->class_id = 3;  // stale values must be overwritten
    meta_of(m)->link = 4;
    meta_of(m)->flags = 0xff;
    DropReason r = DropReason::count_;
    REQUIRE(parse_packet(m, 2, &r));
    const PacketMeta& pm = *meta_of(m);
    const Expect& e = gc.e;
    CHECK(pm.l3 == static_cast<uint8_t>(e.l3));
    CHECK(pm.src == e.src);
    CHECK(pm.dst == e.dst);
    CHECK(pm.sport == e.sport);
    CHECK(pm.dport == e.dport);
    CHECK(pm.l3_offset == e.l3_offset);
    CHECK(pm.l4_offset == e.l4_offset);
    CHECK(pm.l3_len == e.l3_len);
    CHECK(pm.vlan == e.vlan);
    CHECK(pm.inner_vlan == e.inner_vlan);
    CHECK(pm.vlan_count == e.vlan_count);
    CHECK(int(pm.proto) == int(e.proto));
    CHECK(int(pm.dscp) == int(e.dscp));
    CHECK(int(pm.flags) == int(e.flags));
    CHECK(int(pm.icmp_type) == int(e.icmp_type));
    CHECK(pm.port == 2);
    CHECK(pm.class_id == kNoClass);
    CHECK(pm.link == kNoLink);
    rte_pktmbuf_free(m);
  }
  CHECK(rte_mempool_in_use_count(pool) == base);
}

TEST_CASE("parse: every malformed frame is rejected with its reason", "[parse]") {
  rte_mempool* pool = parse_pool();
  std::set<uint32_t> seen;
  for (const BadCase& bc : bad_cases()) {
    INFO(bc.name << " frame=" << hex(bc.frame));
    rte_mbuf* m = to_mbuf(pool, bc.frame);
    REQUIRE(m != nullptr);
    DropReason r = DropReason::count_;
    CHECK_FALSE(parse_packet(m, 0, &r));
    CHECK(std::string(reason_name(r)) == reason_name(bc.reason));
    seen.insert(static_cast<uint32_t>(bc.reason));
    rte_pktmbuf_free(m);
  }
  for (uint32_t r = kFirstParseReason; r <= kLastParseReason; ++r) {
    INFO("no malformed frame covers " << kDropReasonNames[r]);
    CHECK(seen.count(r) == 1);
  }
}

TEST_CASE("parse: flow hash depends on the 5-tuple only", "[parse]") {
  rte_mempool* pool = parse_pool();
  auto hash_of = [&](const Bytes& f) {
    rte_mbuf* m = to_mbuf(pool, f);
    REQUIRE(m != nullptr);
    DropReason r;
    REQUIRE(parse_packet(m, 0, &r));
    const uint32_t h = meta_of(m)->flow_hash;
    rte_pktmbuf_free(m);
    return h;
  };
  const uint32_t h1 = hash_of(PacketBuilder().ipv4(kA4, kB4, {.ttl = 5}).udp(1000, 53).payload(4).build());
  const uint32_t h2 = hash_of(PacketBuilder().vlan(12).ipv4(kA4, kB4, {.dscp = 8, .id = 99}).udp(1000, 53).build());
  CHECK(h1 == h2);
  CHECK(h1 != hash_of(PacketBuilder().ipv4(kA4, kB4).udp(1001, 53).build()));
  CHECK(h1 != hash_of(PacketBuilder().ipv4(kA4, kB4).udp(53, 1000).build()));
  CHECK(h1 != hash_of(PacketBuilder().ipv4(kA4, kB4).tcp(1000, 53).build()));
  CHECK(h1 != hash_of(PacketBuilder().ipv4(kB4, kA4).udp(1000, 53).build()));
  const uint32_t g1 = hash_of(PacketBuilder().ipv6(kA6, kB6).udp(1000, 53).build());
  const uint32_t g2 =
      hash_of(PacketBuilder().ipv6(kA6, kB6, {.hop_limit = 1}).ipv6_ext(0).udp(1000, 53).payload(9).build());
  CHECK(g1 == g2);
  CHECK(g1 != h1);
  CHECK(g1 != hash_of(PacketBuilder().ipv6(kB6, kA6).udp(1000, 53).build()));
}

TEST_CASE("parse: headers must lie in the first segment", "[parse]") {
  rte_mempool* pool = parse_pool();
  const unsigned base = rte_mempool_in_use_count(pool);
  const Bytes f = PacketBuilder().ipv4(kA4, kB4).udp(1, 2).payload(100).build();
  auto two_segments = [&](size_t first) {
    rte_mbuf* a = to_mbuf(pool, Bytes(f.begin(), f.begin() + first));
    rte_mbuf* b = to_mbuf(pool, Bytes(f.begin() + first, f.end()));
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    REQUIRE(rte_pktmbuf_chain(a, b) == 0);
    return a;
  };
  DropReason r = DropReason::count_;
  rte_mbuf* m = two_segments(14 + 10);
  CHECK_FALSE(parse_packet(m, 0, &r));
  CHECK(r == DropReason::truncated_ipv4);
  rte_pktmbuf_free(m);
  m = two_segments(14 + 20 + 4);
  CHECK_FALSE(parse_packet(m, 0, &r));
  CHECK(r == DropReason::truncated_l4);
  rte_pktmbuf_free(m);
  m = two_segments(14 + 20 + 8 + 1);  // headers in the first segment, payload in the second: fine
  REQUIRE(parse_packet(m, 0, &r));
  CHECK(meta_of(m)->l3_len == 128);
  CHECK(meta_of(m)->dport == 2);
  rte_pktmbuf_free(m);
  CHECK(rte_mempool_in_use_count(pool) == base);
}

TEST_CASE("parse_burst: compacts good frames in order, frees and counts bad ones", "[parse]") {
  rte_mempool* pool = parse_pool();
  const unsigned base = rte_mempool_in_use_count(pool);
  const Bytes good4 = PacketBuilder().ipv4(kA4, kB4).tcp(1, 2).build();
  const Bytes good6 = PacketBuilder().ipv6(kA6, kB6).udp(3, 4).build();
  const Bytes arp = PacketBuilder().arp(1, kA4, kB4).build();
  const Bytes bad_ck = PacketBuilder().ipv4(kA4, kB4, {.checksum = 1}).tcp(1, 2).build();
  const Bytes runt = Bytes(10, 0);
  const std::vector<const Bytes*> frames = {&bad_ck, &good4, &runt, &good6, &bad_ck, &bad_ck, &arp, &good4, &runt};
  rte_mbuf* pkts[kBurst];
  for (size_t i = 0; i < frames.size(); ++i) {
    pkts[i] = to_mbuf(pool, *frames[i]);
    REQUIRE(pkts[i] != nullptr);
  }
  rte_mbuf* expect_kept[] = {pkts[1], pkts[3], pkts[6], pkts[7]};
  auto counters = std::make_unique<WorkerCounters>();
  const uint16_t n = parse_burst(pkts, static_cast<uint16_t>(frames.size()), 3, *counters);
  REQUIRE(n == 4);
  for (int i = 0; i < 4; ++i) CHECK(pkts[i] == expect_kept[i]);
  CHECK(meta_of(pkts[0])->l3 == uint8_t(L3::ipv4));
  CHECK(meta_of(pkts[1])->l3 == uint8_t(L3::ipv6));
  CHECK(meta_of(pkts[2])->l3 == uint8_t(L3::arp));
  CHECK(meta_of(pkts[3])->port == 3);
  CHECK(counters->drop[uint32_t(DropReason::bad_ipv4_checksum)].get() == 3);
  CHECK(counters->drop[uint32_t(DropReason::truncated_ethernet)].get() == 2);
  CHECK(total_drops(*counters) == 5);
  CHECK(counters->port[3].drops.get() == 5);
  CHECK(counters->port[0].drops.get() == 0);
  CHECK(rte_mempool_in_use_count(pool) == base + 4);  // the five bad ones went back already
  for (uint16_t i = 0; i < n; ++i) rte_pktmbuf_free(pkts[i]);
  CHECK(rte_mempool_in_use_count(pool) == base);
  CHECK(parse_burst(pkts, 0, 0, *counters) == 0);
}

TEST_CASE("parse_burst: 100k random mutations of valid frames never crash or leak", "[parse]") {
  rte_mempool* pool = parse_pool();
  const unsigned base = rte_mempool_in_use_count(pool);
  std::vector<Bytes> seeds;
  for (const GoodCase& gc : good_cases()) seeds.push_back(gc.frame);
  std::mt19937 rng(12345);
  auto counters = std::make_unique<WorkerCounters>();
  uint64_t sent = 0, kept_total = 0;
  constexpr int kIterations = 100000;
  rte_mbuf* pkts[kBurst];
  int failures = 0;
  for (int done = 0; done < kIterations;) {
    uint16_t n = 0;
    for (; n < kBurst && done < kIterations; ++n, ++done) {
      Bytes f = seeds[rng() % seeds.size()];
      switch (rng() % 4) {
        case 0:  // truncate anywhere
          f.resize(rng() % (f.size() + 1));
          break;
        case 1:  // flip a few bytes, mostly in the headers
          for (int k = 1 + rng() % 4; k > 0 && !f.empty(); --k)
            f[rng() % std::min<size_t>(f.size(), 80)] ^= 1 + rng() % 255;
          break;
        case 2:  // both
          for (int k = 1 + rng() % 4; k > 0 && !f.empty(); --k) f[rng() % f.size()] = static_cast<uint8_t>(rng());
          f.resize(rng() % (f.size() + 1));
          break;
        default:  // pure random bytes behind a plausible Ethernet type
          f.resize(rng() % 128);
          for (auto& b : f) b = static_cast<uint8_t>(rng());
          if (f.size() >= 14) {
            static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8};
            const uint16_t t = types[rng() % 5];
            f[12] = t >> 8;
            f[13] = t & 0xff;
          }
      }
      pkts[n] = to_mbuf(pool, f);
      REQUIRE(pkts[n] != nullptr);
    }
    sent += n;
    const uint16_t kept = parse_burst(pkts, n, 1, *counters);
    kept_total += kept;
    for (uint16_t i = 0; i < kept; ++i) {
      // Whatever was accepted must describe headers inside the frame.
      const PacketMeta* pm = meta_of(pkts[i]);
      const uint32_t len = rte_pktmbuf_data_len(pkts[i]);
      if (pm->l3_offset >= len || pm->l4_offset > len || pm->l3_offset + pm->l3_len > len ||
          (pm->l4_offset && pm->l4_offset < pm->l3_offset) || pm->vlan_count > 2)
        ++failures;
      rte_pktmbuf_free(pkts[i]);
    }
  }
  CHECK(failures == 0);
  CHECK(sent == kIterations);
  CHECK(kept_total + total_drops(*counters) == sent);
  CHECK(counters->port[1].drops.get() == total_drops(*counters));
  CHECK(kept_total > 1000);         // the mutations leave plenty of frames valid...
  CHECK(kept_total < sent - 1000);  // ...and break plenty of others
  CHECK(rte_mempool_in_use_count(pool) == base);
}
