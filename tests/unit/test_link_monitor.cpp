// LinkMonitor without a lab, on a fake clock: probes go out through the real Prober, the test echoes them back,
// and synthetic worker counters drive the passive signal. Covers the passive "sending but receiving nothing"
// signal and the hold-down before a suspected link counts as alive again.
#include <functional>

#include <rte_mbuf.h>
#include <catch2/catch.hpp>

#include "control/common/clock.hpp"
#include "control/health/link_monitor.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/rx_timestamp.hpp"
#include "tests/unit/control_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

constexpr uint32_t kHoldDownMs = 1000;

// Fiber probed by ICMP every 20 ms (passive timeout 300 ms, hold-down 1 s), lte not probed; one class on both.
Policy probed_policy() {
  Policy p = rig_office_skeleton();
  p.links[0].probe.enabled = true;
  p.links[0].probe.targets = {ProbeTarget{ip4("198.51.100.7"), ProbeKind::icmp, 862}};
  p.links[0].probe.hold_down_ms = kHoldDownMs;
  p.classes = {ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  return p;
}

struct MonitorRig {
  FakeClock clock;
  Policy policy = probed_policy();
  EventLog events;
  rte_mempool* pool;
  rte_ether_addr link_macs[kMaxLinks] = {{{0x02, 0xaa, 0, 0, 1, 0x01}}, {{0x02, 0xaa, 0, 0, 2, 0x01}}};
  Gateways gw;
  std::vector<rte_mbuf*> probes;  // sent, not yet answered
  LinkMonitor mon{policy, events, clock.hz()};
  CounterTotals totals;
  bool answer = true;        // echo the probes back
  uint64_t tx_per_step = 0;  // user packets leaving on fiber per 5 ms step
  uint64_t rx_per_step = 1;  // packets arriving on fiber per step

  MonitorRig() {
    static int n = 0;
    pool = make_test_pool(("monrig" + std::to_string(n++)).c_str(), 255);
    REQUIRE(pool != nullptr);
    std::string err;
    REQUIRE(register_rx_tsc_field(&err));
    gw.resolved[0] = gw.resolved[1] = true;
    mon.start_probing(pool, link_macs, [this](rte_mbuf* m, uint8_t) { probes.push_back(m); });
    mon.rebuild_gates(nullptr);
  }
  ~MonitorRig() {
    for (rte_mbuf* m : probes) rte_pktmbuf_free(m);
    rte_mempool_free(pool);
  }

  // The far end's echo, as a worker hands it over: parsed, stamped with its receive time.
  void echo(rte_mbuf* m) {
    PacketMeta* meta = meta_of(m);
    meta->l3_offset = 14;
    meta->l4_offset = 34;
    meta->l3_len = static_cast<uint16_t>(m->data_len - 14);
    meta->proto = IPPROTO_ICMP;
    set_rx_tsc(m, clock.now());
    mon.on_probe_reply(m, 0);
    rte_pktmbuf_free(m);
  }
  // The link comes up on its first replies; then user traffic leaves on it and `rx` packets per step come back.
  void up_then_traffic(uint64_t rx) {
    run_for(100);
    REQUIRE(mon.alive(0));
    tx_per_step = 10;
    rx_per_step = rx;
  }
  // Runs the monitor for `ms` in 5 ms steps, as the control loop does.
  void run_for(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 5) {
      clock.advance_ms(5);
      mon.send_probes(clock.now(), gw);
      for (rte_mbuf* m : probes) answer ? echo(m) : rte_pktmbuf_free(m);
      probes.clear();
      totals.class_link_packets[0][0] += tx_per_step;
      totals.port[1].rx_packets += rx_per_step;
      mon.sample_traffic(clock.now(), totals);
      mon.evaluate(clock.now());
    }
  }
};

}  // namespace

TEST_CASE("passive signal: a link sending but receiving nothing is suspected after the passive window", "[monitor]") {
  MonitorRig r;
  const uint32_t window = r.policy.links[0].probe.passive_timeout_ms;
  REQUIRE(window == 300);
  r.up_then_traffic(0);  // nothing comes back (the probes still do: only the counters are silent)
  r.run_for(window - 20);
  CHECK(r.mon.alive(0));  // not before the window
  CHECK(r.mon.suspects(0) == 0);
  r.run_for(40);
  CHECK_FALSE(r.mon.alive(0));
  CHECK(r.mon.suspects(0) == 1);
  CHECK(r.mon.why_left(0, 0, r.gw) == "suspect_no_rx");
  CHECK_FALSE(r.mon.plan_input(r.gw).alive[0]);
  CHECK(r.mon.plan_input(r.gw).alive[1]);  // lte (not probed) unaffected
}

TEST_CASE("passive signal: a link that receives something is not suspected", "[monitor]") {
  MonitorRig r;
  r.up_then_traffic(1);
  r.run_for(3000);
  CHECK(r.mon.alive(0));
  CHECK(r.mon.suspects(0) == 0);
}

TEST_CASE("hold-down: a suspected link is alive again only after an unbroken run of replies", "[monitor]") {
  MonitorRig r;
  r.up_then_traffic(0);
  r.run_for(400);
  REQUIRE_FALSE(r.mon.alive(0));
  r.tx_per_step = 0;  // traffic stops; the probes keep being answered

  r.run_for(kHoldDownMs / 2);
  CHECK_FALSE(r.mon.alive(0));
  // The run breaks: no replies for longer than the detect time (4 x 20 ms). The hold-down starts over.
  r.answer = false;
  r.run_for(200);
  r.answer = true;
  r.run_for(kHoldDownMs - 100);
  CHECK_FALSE(r.mon.alive(0));
  CHECK(r.mon.why_left(0, 0, r.gw) == "suspect_no_rx");
  r.run_for(200);
  CHECK(r.mon.alive(0));
  CHECK(r.mon.why_left(0, 0, r.gw) == "recovered");
  const auto ev = r.events.recent(1);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == "link_state");
  CHECK(ev[0].cause == "recovered");
}
