// Link MTU and TCP MSS clamping: the MSS option walk over odd layouts (checksums verified by recomputation), the
// policy keys, and through real net_ring ports (tests/unit/control_rig.hpp): fragmentation needed for DF packets
// over the MTU (quote as the LAN host sent it, before NAT), fragments without DF (drops with fragment: false), SYNs
// clamped both ways, fast lane too.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "control/policy/policy.hpp"
#include "dataplane/icmp_error.hpp"
#include "dataplane/tcp_mss.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/packet_builder.hpp"
#include "tests/unit/whole_frames.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const Mac kHost{0x02, 0, 0, 0, 0x10, 0x10};
constexpr size_t kL3 = 14, kL4 = 34;   // untagged IPv4 without options
constexpr uint32_t kFar = 0xcb00710a;  // 203.0.113.10

uint16_t be16_at(const Bytes& f, size_t at) { return static_cast<uint16_t>((f[at] << 8) | f[at + 1]); }
uint32_t be32_at(const Bytes& f, size_t at) { return (uint32_t{be16_at(f, at)} << 16) | be16_at(f, at + 2); }

uint32_t sum_words(const uint8_t* p, size_t len, uint32_t s = 0) {
  for (size_t i = 0; i < len; i += 2) s += (uint32_t{p[i]} << 8) | (i + 1 < len ? p[i + 1] : 0);
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// The TCP checksum of the IPv4 frame, recomputed over pseudo header and segment: 0xffff when right.
uint16_t tcp_sum(const Bytes& f, size_t l3 = kL3) {
  const size_t ihl = (f[l3] & 0xfu) * 4u, len = be16_at(f, l3 + 2) - ihl;
  uint32_t s = sum_words(f.data() + l3 + 12, 8);  // addresses
  s += 6 + static_cast<uint32_t>(len);
  return fold(sum_words(f.data() + l3 + ihl, len, s));
}
uint16_t ip_sum(const Bytes& f, size_t l3 = kL3) { return fold(sum_words(f.data() + l3, (f[l3] & 0xfu) * 4u)); }

Bytes syn(Bytes options, uint8_t flags = 0x02, uint32_t src = ip4("192.168.10.10"), uint32_t dst = kFar,
          uint16_t sport = 40000, uint16_t dport = 443) {
  return PacketBuilder(PacketBuilder::kDefaultDst, kHost)
      .ipv4(src, dst, Ipv4Opts{.df = true})
      .tcp(sport, dport, flags, std::move(options))
      .build();
}

const Bytes kMss1460{2, 4, 0x05, 0xb4};

// Clamps the frame's TCP header in place to 1260; checks the checksum is right before and after.
bool clamp(Bytes& f, uint16_t to = 1260, uint32_t avail = 0) {
  REQUIRE(tcp_sum(f) == 0xffff);
  const bool r = tcp_mss_clamp(f.data() + kL4, avail ? avail : static_cast<uint32_t>(f.size() - kL4), to);
  CHECK(tcp_sum(f) == 0xffff);
  return r;
}

}  // namespace

TEST_CASE("MSS clamp: the option walk finds MSS wherever it is and keeps the checksum right", "[mss]") {
  SECTION("MSS first") {
    Bytes f = syn(kMss1460);
    CHECK(clamp(f));
    CHECK(be16_at(f, kL4 + 22) == 1260);
  }
  SECTION("after one NOP: the value at an odd offset, straddling checksum words") {
    Bytes f = syn({1, 2, 4, 0x05, 0xb4, 1, 1, 1});
    CHECK(clamp(f));
    CHECK(be16_at(f, kL4 + 23) == 1260);
  }
  SECTION("after window scale, SACK-permitted and timestamps") {
    Bytes f = syn({3, 3, 7, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 4, 0x23, 0x28});  // MSS 9000 last
    CHECK(clamp(f));
    CHECK(be16_at(f, kL4 + 20 + 18) == 1260);
    CHECK(f[kL4 + 20 + 2] == 7);  // the window scale untouched
  }
  SECTION("a SYN-ACK is clamped too") {
    Bytes f = syn(kMss1460, 0x12);
    CHECK(clamp(f));
    CHECK(be16_at(f, kL4 + 22) == 1260);
  }
  SECTION("many checksum values: clamping from every MSS 1261..1460 stays right") {
    for (uint16_t mss = 1261; mss <= 1460; mss++) {
      Bytes f = syn({1, 2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss), 0, 0, 0}, 0x02,
                    ip4("192.168.10.10") + mss);
      CHECK(clamp(f));
    }
  }
}

TEST_CASE("MSS clamp: leaves alone what it must not change", "[mss]") {
  struct Case {
    const char* what;
    Bytes options;
    uint8_t flags = 0x02;
    uint32_t avail = 0;  // 0: the whole segment
  };
  const Case cases[] = {
      {"MSS already small enough (1200)", {2, 4, 0x04, 0xb0}},
      {"no MSS option", {1, 1, 3, 3, 7, 1, 1, 1}},
      {"no options at all", {}},
      {"MSS after end of options", {0, 2, 4, 0x05, 0xb4, 0, 0, 0}},
      {"an option whose length runs past the header", {3, 9, 7, 0, 2, 4, 0x05, 0xb4}},
      {"an option of length 0 (would loop forever)", {8, 0, 2, 4, 0x05, 0xb4, 0, 0}},
      {"MSS option with a wrong length", {2, 3, 0x05, 1, 1, 1, 1, 1}},
      {"the options cut off by the first segment's end", {1, 1, 1, 1, 2, 4, 0x05, 0xb4}, 0x02, 26},
      {"not a SYN", kMss1460, 0x10},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Bytes f = syn(c.options, c.flags);
    const Bytes before = f;
    CHECK_FALSE(clamp(f, 1260, c.avail));
    CHECK(f == before);
  }
}

TEST_CASE("policy: mtu and mss_clamp per link, defaults and bounds with FILE:LINE:COLUMN", "[mss][policy]") {
  const std::string head =
      "name: t\nlan:\n  device: net_null0\n  subnets:\n    - address: 192.168.10.1/24\nlinks:\n"
      "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1";
  const std::string tail =
      "}\n  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1}\n"
      "classes:\n  - {name: default, links: [fiber, lte]}\n";
  auto ok = parse_policy(head + ", mtu: 1300, mss_clamp: false" + tail, "t.yaml", ".");
  REQUIRE(ok.ok());
  CHECK(ok.policy->links[0].mtu == 1300);
  CHECK_FALSE(ok.policy->links[0].mss_clamp);
  CHECK(ok.policy->links[1].mtu == 1500);
  CHECK(ok.policy->links[1].mss_clamp);
  for (const char* bad : {", mtu: 575", ", mtu: 9001", ", mtu: big"}) {
    auto r = parse_policy(std::string(head).append(bad).append(tail), "t.yaml", ".");
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].loc.line == 7);
    CHECK(r.errors[0].loc.column == 88);
    CHECK(r.errors[0].reason.find("mtu") != std::string::npos);
  }
  auto r = parse_policy(head + ", mss_clamp: maybe" + tail, "t.yaml", ".");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].reason.find("mss_clamp must be true or false") != std::string::npos);
}

namespace {

Policy mtu_policy(bool nat, bool mss_clamp = true, bool fragment = true) {
  Policy p = rig_office_skeleton();
  MacAddress h;
  std::copy(kHost.begin(), kHost.end(), h.begin());
  p.lan.neighbors = {StaticNeighbor{ip4("192.168.10.10"), h}};
  p.classes = {ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  p.default_class = 0;
  for (LinkSpec& l : p.links) {
    l.nat = nat;
    l.mtu = 1300;
    l.mss_clamp = mss_clamp;
    l.fragment = fragment;
  }
  return p;
}

struct Rig : ControlRig {
  explicit Rig(bool nat, bool mss_clamp = true, bool fragment = true)
      : ControlRig(mtu_policy(nat, mss_clamp, fragment)) {}
  uint64_t drops(DropReason r) const { return w->counters.drop[static_cast<int>(r)].get(); }
  // What port `port` transmitted, each frame's segments joined (fragments are chains); the mbufs are freed.
  std::vector<Bytes> sent_whole(int port) { return whole_frames(tx[port]); }
};

Bytes udp_from_lan(size_t ip_len, bool df, uint16_t sport = 40000) {
  return PacketBuilder(PacketBuilder::kDefaultDst, kHost)
      .ipv4(ip4("192.168.10.10"), kFar, Ipv4Opts{.df = df})
      .udp(sport, 5000)
      .payload(ip_len - 28)
      .build();
}

// A fragmentation needed in `r` for `orig`: from the LAN address, next-hop MTU 1300, quoting orig's IP header and
// more, unchanged (TTL, addresses: as the LAN host sent it).
void check_frag_needed(const Bytes& r, const Bytes& orig) {
  REQUIRE(r.size() >= kL3 + 28 + 28);
  CHECK(std::equal(kHost.begin(), kHost.end(), r.begin()));
  CHECK(r[kL3 + 9] == 1);
  CHECK(ip_sum(r) == 0xffff);
  CHECK(be32_at(r, kL3 + 12) == ip4("192.168.10.1"));
  CHECK(be32_at(r, kL3 + 16) == ip4("192.168.10.10"));
  const size_t ip_len = be16_at(r, kL3 + 2);
  CHECK(ip_len <= kIcmpErrorMaxIpLen);
  CHECK(r[kL3 + 20] == 3);
  CHECK(r[kL3 + 21] == 4);
  CHECK(be16_at(r, kL3 + 26) == 1300);  // next-hop MTU
  CHECK(fold(sum_words(r.data() + kL3 + 20, ip_len - 20)) == 0xffff);
  CHECK(std::equal(orig.begin() + kL3, orig.begin() + kL3 + 28, r.begin() + kL3 + 28));  // header + 8 bytes
}

// Sends a 1400-byte DF datagram from the LAN host: nothing leaves on the link, fragmentation needed comes back.
void send_too_big(Rig& rig) {
  const Bytes big = udp_from_lan(1400, true);
  rig.inject(0, big);
  rig.poll();
  CHECK(rig.sent(1).empty());
  auto lan = rig.sent(0);
  REQUIRE(lan.size() == 1);
  check_frag_needed(lan[0], big);
}

}  // namespace

TEST_CASE("MTU: a DF packet over the link MTU gets fragmentation needed, quoted before NAT; not sent", "[mtu]") {
  Rig rig(true);
  send_too_big(rig);
  CHECK(rig.drops(DropReason::too_big_df) == 1);
  CHECK(rig.w->counters.icmp_errors_sent.get() == 1);
}

TEST_CASE("MTU: without DF on a link with fragment: false the packet is dropped as too_big_nodf; at the MTU it passes",
          "[mtu]") {
  Rig rig(true, true, false);
  rig.inject(0, udp_from_lan(1400, false));
  rig.inject(0, udp_from_lan(1300, true, 40001));
  rig.poll();
  auto out = rig.sent(1);
  REQUIRE(out.size() == 1);
  CHECK(be16_at(out[0], kL3 + 2) == 1300);
  CHECK(rig.sent(0).empty());
  CHECK(rig.drops(DropReason::too_big_nodf) == 1);
  CHECK(rig.drops(DropReason::too_big_df) == 0);
}

TEST_CASE("MTU: without DF (fragment: true) the packet leaves NATed in fragments that fit; mbufs all come back",
          "[mtu]") {
  Rig rig(true);
  static int n = 0;
  const std::string id = "mtufrag" + std::to_string(n++);
  rte_mempool* direct =
      rte_pktmbuf_pool_create((id + "_d").c_str(), 63, 0, kMbufPrivSize, RTE_PKTMBUF_HEADROOM + 64, SOCKET_ID_ANY);
  rte_mempool* indirect = rte_pktmbuf_pool_create((id + "_i").c_str(), 63, 0, 0, 0, SOCKET_ID_ANY);
  REQUIRE(direct);
  REQUIRE(indirect);
  rig.w->frag_direct = direct;
  rig.w->frag_indirect = indirect;
  const Bytes in = udp_from_lan(1400, false);
  rig.inject(0, in);
  rig.poll();
  std::vector<Bytes> out = rig.sent_whole(1);
  REQUIRE(out.size() == 2);
  CHECK(be16_at(out[0], kL3 + 2) == 1300);  // 1280 bytes of payload (a multiple of 8) + the header
  CHECK(be16_at(out[1], kL3 + 2) == 20 + 1380 - 1280);
  CHECK(be16_at(out[0], kL3 + 6) == 0x2000);    // MF, offset 0
  CHECK(be16_at(out[1], kL3 + 6) == 1280 / 8);  // the last: no MF
  Bytes payload;
  for (const Bytes& f : out) {
    CHECK(ip_sum(f) == 0xffff);
    CHECK(be16_at(f, kL3 + 4) == be16_at(out[0], kL3 + 4));  // one IP id
    CHECK(be32_at(f, kL3 + 12) == ip4("100.64.1.2"));        // NATed before it was split
    payload.insert(payload.end(), f.begin() + kL4, f.begin() + kL3 + be16_at(f, kL3 + 2));
  }
  REQUIRE(payload.size() == 1380);
  CHECK(std::equal(payload.begin() + 8, payload.end(), in.begin() + kL4 + 8));  // the data after the UDP header
  CHECK(rig.w->counters.ipv4_fragmented.get() == 1);
  CHECK(rig.w->counters.ipv4_fragments.get() == 2);
  CHECK(rig.drops(DropReason::too_big_nodf) == 0);
  CHECK(rte_mempool_in_use_count(direct) == 0);
  CHECK(rte_mempool_in_use_count(indirect) == 0);
  rig.w->frag_direct = rig.w->frag_indirect = nullptr;
  rte_mempool_free(direct);
  rte_mempool_free(indirect);
}

TEST_CASE("MTU: a cached flow's large packet leaves the fast lane and gets fragmentation needed", "[mtu]") {
  Rig rig(true);
  REQUIRE(rig.w->fast_lane);
  rig.inject(0, udp_from_lan(200, true));
  rig.poll();
  REQUIRE(rig.sent(1).size() == 1);
  rig.inject(0, udp_from_lan(200, true));
  rig.poll();
  REQUIRE(rig.sent(1).size() == 1);
  const uint64_t fast = rig.w->counters.fast_lane.get();
  REQUIRE(fast == 1);  // the flow is on the fast lane now
  send_too_big(rig);
  CHECK(rig.w->counters.fast_lane.get() == fast);
}

TEST_CASE("MSS: a SYN out a 1300-MTU link leaves with MSS 1260, its SYN-ACK in too (through NAT)", "[mss]") {
  Rig rig(true);
  rig.inject(0, syn(kMss1460));
  rig.poll();
  auto out = rig.sent(1);
  REQUIRE(out.size() == 1);
  CHECK(be32_at(out[0], kL3 + 12) == ip4("100.64.1.2"));  // NATed
  CHECK(be16_at(out[0], kL4 + 22) == 1260);
  CHECK(tcp_sum(out[0]) == 0xffff);
  CHECK(ip_sum(out[0]) == 0xffff);
  const uint16_t ext_port = be16_at(out[0], kL4);
  Bytes synack = PacketBuilder(PacketBuilder::kDefaultDst, Mac{0x02, 0, 0, 0, 0x01, 0x01})
                     .ipv4(kFar, ip4("100.64.1.2"), Ipv4Opts{.df = true})
                     .tcp(443, ext_port, 0x12, {1, 1, 4, 2, 2, 4, 0x05, 0xb4})
                     .build();
  rig.inject(1, synack);
  rig.poll();
  auto lan = rig.sent(0);
  REQUIRE(lan.size() == 1);
  CHECK(be32_at(lan[0], kL3 + 16) == ip4("192.168.10.10"));
  CHECK(be16_at(lan[0], kL4 + 26) == 1260);
  CHECK(tcp_sum(lan[0]) == 0xffff);
  CHECK(rig.w->counters.mss_clamped.get() == 2);
}

TEST_CASE("MSS: mss_clamp: false leaves SYNs alone", "[mss]") {
  Rig rig(false, false);
  const Bytes s = syn(kMss1460);
  rig.inject(0, s);
  rig.poll();
  auto out = rig.sent(1);
  REQUIRE(out.size() == 1);
  CHECK(be16_at(out[0], kL4 + 22) == 1460);
  CHECK(rig.w->counters.mss_clamped.get() == 0);
}

TEST_CASE("MSS: a SYN of a cached flow is clamped on the fast lane as the general path would", "[mss]") {
  Rig rig(true);
  rig.inject(0, syn({}, 0x10));  // an ACK: the flow's first packet makes its cache entry and NAT session
  rig.poll();
  REQUIRE(rig.sent(1).size() == 1);
  rig.inject(0, syn(kMss1460));
  rig.poll();
  auto out = rig.sent(1);
  REQUIRE(out.size() == 1);
  CHECK(rig.w->counters.fast_lane.get() == 1);
  CHECK(be16_at(out[0], kL4 + 22) == 1260);
  CHECK(tcp_sum(out[0]) == 0xffff);
  CHECK(rig.w->counters.mss_clamped.get() == 1);
}
