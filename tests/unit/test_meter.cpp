// Meter tests: trTCM conformance over an injected packet timeline, re-marking with a valid checksum, block and
// unlimited modes, reconfiguration on a new generation, and control's choice of the backup profile per link.
#include <catch2/catch.hpp>

// GCC 12 -O3 reports a false -Wstringop-overflow inside std::vector<uint8_t> growth when PacketBuilder is
// inlined here (the same pattern as GCC bug 105329's false -Wrestrict that control/ works around).
#pragma GCC diagnostic ignored "-Wstringop-overflow"

#include <algorithm>
#include <cmath>

#include <rte_cycles.h>
#include <rte_ip.h>

#include "control/policy/policy.hpp"
#include "control/runtime/egress_plan.hpp"
#include "dataplane/meter.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

// A UDP/IPv4 frame of exactly `len` bytes, parsed enough for the meter (meta l3 and offset set).
rte_mbuf* frame_of(rte_mempool* pool, uint16_t len, uint8_t dscp = 0) {
  Bytes f = PacketBuilder()
                .ipv4(ip4("192.168.10.10"), ip4("203.0.113.10"), Ipv4Opts{.dscp = dscp, .ecn = 1})
                .udp(40000, 443)
                .payload(len - 42u)
                .build();
  rte_mbuf* m = to_mbuf(pool, f);
  REQUIRE(m != nullptr);
  PacketMeta* meta = meta_of(m);
  meta->l3 = static_cast<uint8_t>(L3::ipv4);
  meta->l3_offset = 14;
  return m;
}

MeterProfile limit_profile(uint64_t rate_bps, uint64_t burst, uint32_t gen = 1) {
  MeterProfile p;
  p.generation = gen;
  p.mode = MeterMode::limit;
  p.cir = p.pir = rate_bps / 8;
  p.cbs = p.pbs = burst;
  return p;
}

bool ipv4_checksum_valid(rte_mbuf* m) {
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, 14);
  return rte_ipv4_cksum(ip) == 0 || [&] {
    uint16_t got = ip->hdr_checksum;
    ip->hdr_checksum = 0;
    uint16_t want = rte_ipv4_cksum(ip);
    ip->hdr_checksum = got;
    return got == want;
  }();
}

// The token arithmetic of RFC 2698's committed bucket as rte_meter quantises it (whole periods of
// cir_period ticks, each adding cir_bytes_per_period bytes): the expected verdicts, computed independently.
struct ReferenceBucket {
  uint64_t period, bytes_per_period, cap, tokens, time;
  bool take(uint64_t now, uint32_t len) {
    uint64_t n = (now - time) / period;
    time += n * period;
    tokens = std::min(cap, tokens + n * bytes_per_period);
    if (tokens < len) return false;
    tokens -= len;
    return true;
  }
};

}  // namespace

TEST_CASE("1 Mbit/s limit with 2 Mbit/s offered: conforming packets follow the token math", "[meter]") {
  rte_mempool* pool = make_test_pool("meter_pool1", 63);
  REQUIRE(pool);
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t t0 = 1000 * hz;  // an arbitrary start far from zero
  ClassMeter cm;
  MeterProfile p = limit_profile(1000000, 10000);  // 125000 bytes/s, 10 kB bucket
  meter_configure(cm, p, t0);
  ReferenceBucket ref{cm.profile.cir_period, cm.profile.cir_bytes_per_period, 10000, 10000, t0};
  // rte_meter's period rounding keeps the rate within 0.1% of 1 Mbit/s
  CHECK(std::abs(double(hz) * double(cm.profile.cir_bytes_per_period) / double(cm.profile.cir_period) - 125000.0) <
        125.0);

  int conform = 0, expected = 0;
  for (int k = 0; k < 250; k++) {  // 1000-byte packets every 4 ms = 2 Mbit/s, for one second
    uint64_t now = t0 + static_cast<uint64_t>(k) * hz * 4 / 1000;
    rte_mbuf* m = frame_of(pool, 1000);
    MeterVerdict v = meter_packet(cm, p, m, now);
    conform += v == MeterVerdict::conform;
    expected += ref.take(now, 1000);
    CHECK((v == MeterVerdict::conform || v == MeterVerdict::exceed));
    rte_pktmbuf_free(m);
  }
  CHECK(conform == expected);
  // Ideal: the 10 kB burst (10 packets) plus 125000 bytes/s over the 0.996 s between first and last packet.
  CHECK(std::abs(conform - (10 + static_cast<int>(125000 * 0.996 / 1000))) <= 1);
  CHECK(rte_mempool_in_use_count(pool) == 0);
  rte_mempool_free(pool);
}

TEST_CASE("exceed: remark rewrites DSCP, keeps ECN and a valid IPv4 checksum, and sends", "[meter]") {
  rte_mempool* pool = make_test_pool("meter_pool2", 63);
  REQUIRE(pool);
  const uint64_t t0 = 5 * rte_get_tsc_hz();
  MeterProfile p = limit_profile(64000, 1514);
  p.exceed = ExceedAction::remark;
  p.remark_dscp = 8;  // CS1, "lower effort"
  ClassMeter cm;
  rte_mbuf* first = frame_of(pool, 1000, 46);
  CHECK(meter_packet(cm, p, first, t0) == MeterVerdict::conform);
  CHECK(rte_pktmbuf_mtod_offset(first, uint8_t*, 15)[0] == ((46 << 2) | 1));  // untouched
  rte_mbuf* second = frame_of(pool, 1000, 46);
  CHECK(meter_packet(cm, p, second, t0) == MeterVerdict::remarked);
  CHECK(rte_pktmbuf_mtod_offset(second, uint8_t*, 15)[0] == ((8 << 2) | 1));  // DSCP 8, ECN kept
  CHECK(ipv4_checksum_valid(second));
  rte_pktmbuf_free(first);
  rte_pktmbuf_free(second);

  // With a peak rate, traffic above the peak is dropped even when exceed is remark.
  MeterProfile peak = p;
  peak.generation = 2;
  peak.has_peak = true;
  peak.pir = 16000;  // 128 kbit/s
  peak.pbs = 2000;
  int remarked = 0, dropped = 0, conform = 0;
  for (int i = 0; i < 4; i++) {
    rte_mbuf* m = frame_of(pool, 1000, 46);
    MeterVerdict v = meter_packet(cm, peak, m, t0);
    conform += v == MeterVerdict::conform;
    remarked += v == MeterVerdict::remarked;
    dropped += v == MeterVerdict::exceed;
    rte_pktmbuf_free(m);
  }
  CHECK(conform == 1);   // committed bucket: 1514 bytes
  CHECK(remarked == 1);  // peak bucket: 2000 bytes
  CHECK(dropped == 2);
  rte_mempool_free(pool);
}

TEST_CASE("set_dscp keeps the IPv4 checksum valid for every DSCP and ECN, and handles IPv6", "[meter]") {
  rte_mempool* pool = make_test_pool("meter_pool3", 63);
  REQUIRE(pool);
  for (uint8_t from = 0; from < 64; from += 3)
    for (uint8_t to = 0; to < 64; to++) {
      rte_mbuf* m = frame_of(pool, 100, from);
      set_dscp(m, meta_of(m), to);
      CHECK(rte_pktmbuf_mtod_offset(m, uint8_t*, 15)[0] >> 2 == to);
      CHECK(ipv4_checksum_valid(m));
      rte_pktmbuf_free(m);
    }
  Ip6 a{}, b{};
  a[0] = 0x20;
  b[0] = 0x20;
  b[15] = 1;
  Bytes f = PacketBuilder().ipv6(a, b, Ipv6Opts{.dscp = 46, .ecn = 2, .flow_label = 0xabcde}).udp(1, 2).build();
  rte_mbuf* m = to_mbuf(pool, f);
  meta_of(m)->l3 = static_cast<uint8_t>(L3::ipv6);
  meta_of(m)->l3_offset = 14;
  set_dscp(m, meta_of(m), 10);
  uint32_t vtc = rte_be_to_cpu_32(rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, 14)->vtc_flow);
  CHECK(vtc >> 28 == 6);
  CHECK(((vtc >> 22) & 0x3f) == 10);
  CHECK(((vtc >> 20) & 0x3) == 2);
  CHECK((vtc & 0xfffff) == 0xabcde);
  rte_pktmbuf_free(m);
  rte_mempool_free(pool);
}

TEST_CASE("block drops everything, unlimited passes everything, a new generation refills the bucket", "[meter]") {
  rte_mempool* pool = make_test_pool("meter_pool4", 63);
  REQUIRE(pool);
  const uint64_t t0 = 7 * rte_get_tsc_hz();
  rte_mbuf* m = frame_of(pool, 1500);
  ClassMeter cm;
  MeterProfile block;
  block.generation = 1;
  block.mode = MeterMode::block;
  CHECK(meter_packet(cm, block, m, t0) == MeterVerdict::blocked);
  MeterProfile open;
  open.generation = 2;
  for (int i = 0; i < 1000; i++) CHECK(meter_packet(cm, open, m, t0) == MeterVerdict::conform);
  MeterProfile lim = limit_profile(1000000, 3000, 3);
  CHECK(meter_packet(cm, lim, m, t0) == MeterVerdict::conform);
  CHECK(meter_packet(cm, lim, m, t0) == MeterVerdict::conform);
  CHECK(meter_packet(cm, lim, m, t0) == MeterVerdict::exceed);
  lim.generation = 4;  // e.g. a reload: same instant, bucket full again
  CHECK(meter_packet(cm, lim, m, t0) == MeterVerdict::conform);
  rte_pktmbuf_free(m);
  rte_mempool_free(pool);
}

TEST_CASE("control picks the backup profile per link from roles and link state", "[meter]") {
  auto r = load_policy(std::string(WANSTEER_SOURCE_DIR) + "/policies/office.yaml");
  REQUIRE(r.ok());
  const Policy& p = *r.policy;
  const int fiber = p.link_index("fiber"), lte = p.link_index("lte");
  const int guest = p.class_index("guest"), def = p.class_index("default"), voip = p.class_index("voip");
  REQUIRE((fiber >= 0 && lte >= 0 && guest >= 0 && def >= 0 && voip >= 0));
  const uint64_t hz = 1000000000;

  std::array<bool, kMaxLinks> both_up{};
  both_up[fiber] = both_up[lte] = true;
  EgressPlan a = plan_egress(p, both_up, nullptr, hz);
  CHECK(a.meter[guest][fiber].mode == MeterMode::unlimited);
  CHECK(a.meter[guest][lte].mode == MeterMode::block);
  CHECK(a.meter[def][fiber].mode == MeterMode::unlimited);
  CHECK(a.meter[def][lte].mode == MeterMode::limit);
  CHECK(a.meter[def][lte].cir == 2000000 / 8);
  CHECK(a.meter[voip][lte].mode == MeterMode::unlimited);
  CHECK(a.shaper[lte].enabled);
  CHECK(a.shaper[lte].rate == 5000000 / 8);
  CHECK(a.shaper[fiber].rate == 100000000 / 8);
  CHECK(a.shaper[lte].order[0] == voip);
  CHECK(a.shaper[lte].order[a.shaper[lte].n_order - 1] == guest);
  CHECK(((a.shaper[lte].delay_drop_mask >> guest) & 1));
  CHECK_FALSE(((a.shaper[lte].delay_drop_mask >> voip) & 1));
  // Byte limits: the packet limit in 1500-byte frames, never below one jumbo frame; a hard bound on every wait.
  for (uint8_t c : {voip, def, guest}) {
    CHECK(a.shaper[lte].queue_limit_bytes[c] == std::max<uint32_t>(a.shaper[lte].queue_limit[c] * 1500u, 9216));
    CHECK(a.shaper[lte].queue_limit_bytes[c] >= kMaxFrameBytes);
  }
  CHECK(a.shaper[lte].max_wait_tsc == hz);  // 1 s (4 x queue_ms is less)
  Policy p2 = p;
  p2.shaper.queue_bytes = 20000;
  CHECK(plan_egress(p2, both_up, nullptr, hz).shaper[lte].queue_limit_bytes[guest] == 20000);

  // Same inputs: same generations (owners keep their buckets).
  EgressPlan b = plan_egress(p, both_up, &a, hz);
  CHECK(b.meter[def][lte].generation == a.meter[def][lte].generation);
  CHECK(b.shaper[lte].generation == a.shaper[lte].generation);

  // Fiber (the primary) down: backup profiles apply on every link, and only what changed gets a new generation.
  std::array<bool, kMaxLinks> fiber_down = both_up;
  fiber_down[fiber] = false;
  EgressPlan c = plan_egress(p, fiber_down, &b, hz);
  CHECK(c.meter[def][fiber].mode == MeterMode::limit);
  CHECK(c.meter[def][fiber].generation != b.meter[def][fiber].generation);
  CHECK(c.meter[def][lte].generation == b.meter[def][lte].generation);
  CHECK(c.meter[guest][fiber].mode == MeterMode::block);
  CHECK(c.meter[voip][fiber].mode == MeterMode::unlimited);
  CHECK(backup_profiles_active(p, fiber_down, static_cast<size_t>(fiber)));
  CHECK_FALSE(backup_profiles_active(p, both_up, static_cast<size_t>(fiber)));
}
