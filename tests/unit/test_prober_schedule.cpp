// The Prober's send schedule: the liveness interval on an idle link, traffic_interval_ms while it carries user
// traffic, boost_interval_ms while the loss test is in doubt; a metered link never speeds up for either.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rte_mbuf.h>

#include "control/health/prober.hpp"
#include "control/policy/policy.hpp"
#include "tests/unit/control_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

constexpr uint64_t kScheduleMs = 1'000'000;  // TSC ticks per ms (a 1 GHz test clock)

// fiber (unmetered) and lte (metered), one ICMP target each, every probe counted and freed as it leaves, and
// answered 0.1 ms later while `answer` is set (liveness evaluated every tick, as LinkMonitor does).
struct ScheduleRig {
  Policy policy = rig_office_skeleton();
  rte_mempool* pool = nullptr;
  rte_ether_addr macs[kMaxLinks] = {};
  size_t sent[kMaxLinks] = {};
  std::vector<std::pair<uint8_t, uint32_t>> to_answer;  // (link, seq)
  bool answer = true;
  std::optional<Prober> prober;
  uint64_t now = 5000 * kScheduleMs;

  explicit ScheduleRig(uint32_t traffic_interval_ms = 5) {
    static int n = 0;
    pool = make_test_pool(("probesched" + std::to_string(n++)).c_str(), 63);
    REQUIRE(pool != nullptr);
    for (LinkSpec& l : policy.links) {
      l.probe.enabled = true;
      l.probe.targets = {ProbeTarget{ip4("198.51.100.7"), ProbeKind::icmp, 862}};
      l.probe.traffic_interval_ms = traffic_interval_ms;
    }
    policy.links[1].metered = true;
    prober.emplace(policy, pool, macs, 1000 * kScheduleMs, [this](rte_mbuf* m, uint8_t pi) {
      const uint8_t l = pi - 1;
      if (answer) to_answer.emplace_back(l, static_cast<uint32_t>(sent[l]));  // one target: seqs count from 0
      sent[l]++;
      rte_pktmbuf_free(m);
    });
  }
  ~ScheduleRig() {
    prober.reset();
    rte_mempool_free(pool);
  }
  // Ticks every ms for `ms` ms with both links sending (or not) user traffic; the probes each link sent meanwhile.
  std::array<size_t, 2> run(uint64_t ms, bool traffic) {
    std::array<Prober::LinkTx, kMaxLinks> tx{};
    for (size_t l = 0; l < 2; l++) {
      tx[l].can_send = true;
      tx[l].carrying_traffic = traffic;
    }
    const size_t before[2] = {sent[0], sent[1]};
    for (uint64_t i = 0; i < ms; i++, now += kScheduleMs) {
      prober->tick(now, tx);
      for (auto [l, seq] : to_answer) prober->liveness(l).target(0).on_reply(seq, now + 100'000, 100'000);
      to_answer.clear();
      for (size_t l = 0; l < 2; l++) prober->liveness(l).evaluate(now + 100'000);
    }
    return {sent[0] - before[0], sent[1] - before[1]};
  }
};

}  // namespace

TEST_CASE("prober: an idle link probes at interval_ms, one carrying traffic at traffic_interval_ms, boosted faster",
          "[health][prober]") {
  ScheduleRig r;
  r.run(100, false);  // settle: the first probes of each target
  auto n = r.run(200, false);
  CHECK(n[0] == 10);  // 200 ms / 20 ms
  CHECK(r.prober->send_interval_ms(0) == 20);
  n = r.run(200, true);
  CHECK(n[0] == 40);  // 200 ms / 5 ms: the loss test's samples come 4 x as often
  CHECK(r.prober->send_interval_ms(0) == 5);
  CHECK(n[1] == 10);  // lte is metered: traffic there gets the full rate (interval_ms), never more
  r.prober->set_loss_boost(0, true);
  r.prober->set_loss_boost(1, true);
  n = r.run(200, true);
  CHECK(n[0] == 200);  // boosted: every 1 ms
  CHECK(n[1] == 10);   // a metered link never boosts
  r.prober->set_loss_boost(0, false);
  n = r.run(200, false);
  CHECK(n[0] == 10);                              // idle and in no doubt: back to interval_ms
  CHECK(r.prober->current_interval_ms(0) == 20);  // liveness was judged by interval_ms all along
}

TEST_CASE("prober: traffic_interval_ms 0, or a down link, keeps a busy link at interval_ms", "[health][prober]") {
  ScheduleRig off(0);
  off.run(100, true);
  CHECK(off.run(200, true)[0] == 10);

  ScheduleRig dead;
  dead.answer = false;  // never up: a down link's probes time its recovery at interval_ms, traffic or not
  dead.run(100, true);
  CHECK(dead.run(200, true)[0] == 10);
  CHECK_FALSE(dead.prober->liveness(0).alive());
}
