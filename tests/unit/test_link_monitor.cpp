// LinkMonitor without a lab, on a fake clock: probes go out through the real Prober, the test echoes them back,
// and synthetic worker counters drive the passive signal. Covers the passive "sending but receiving nothing"
// signal, the hold-down before a suspected link counts as alive again, stalls of the edge itself, and how fast a
// lossy line loses a voice class.
#include <algorithm>
#include <functional>
#include <random>

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

// Fiber probed by ICMP every `interval_ms`, down after `detect` silent intervals (passive timeout 300 ms, hold-down
// 1 s), lte not probed; one class on both.
Policy probed_policy(uint32_t interval_ms, uint32_t detect) {
  Policy p = rig_office_skeleton();
  p.links[0].probe.enabled = true;
  p.links[0].probe.interval_ms = interval_ms;
  p.links[0].probe.detect_multiplier = detect;
  p.links[0].probe.targets = {ProbeTarget{ip4("198.51.100.7"), ProbeKind::icmp, 862}};
  p.links[0].probe.hold_down_ms = kHoldDownMs;
  p.classes = {ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  return p;
}

struct MonitorRig {
  FakeClock clock;
  Policy policy;
  EventLog events;
  rte_mempool* pool;
  rte_ether_addr link_macs[kMaxLinks] = {{{0x02, 0xaa, 0, 0, 1, 0x01}}, {{0x02, 0xaa, 0, 0, 2, 0x01}}};
  Gateways gw;
  std::vector<rte_mbuf*> probes;  // sent by the monitor this tick
  struct InFlight {
    rte_mbuf* m;
    uint64_t sent, rx;  // when control sent it; when its echo reaches a worker
  };
  std::vector<InFlight> flight;  // answered probes whose echo is on its way or waits to be read
  LinkMonitor mon;
  CounterTotals totals;
  bool answer = true;  // echo the probes back
  double loss = 0;     // ... all but this share of them, at random (seeded)
  std::mt19937_64 rng{14};
  uint64_t rtt_ms = 0;         // 0: echoed at once, read in the tick that sent it
  uint64_t tx_per_step = 0;    // user packets leaving on fiber per 5 ms step
  uint64_t rx_per_step = 1;    // packets arriving on fiber per step
  bool worker_running = true;  // a stalled worker neither loops, nor sends probes, nor reads replies
  uint64_t worker_stalled_at = 0;

  explicit MonitorRig(uint32_t interval_ms = 20, uint32_t detect = 4)
      : policy(probed_policy(interval_ms, detect)), mon(policy, events, clock.hz()) {
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
    for (const InFlight& f : flight) rte_pktmbuf_free(f.m);
    rte_mempool_free(pool);
  }

  // The far end's echo, as a worker hands it over: parsed, stamped with its receive time `rx`.
  void echo(rte_mbuf* m, uint64_t rx) {
    PacketMeta* meta = meta_of(m);
    meta->l3_offset = 14;
    meta->l4_offset = 34;
    meta->l3_len = static_cast<uint16_t>(m->data_len - 14);
    meta->proto = IPPROTO_ICMP;
    set_rx_tsc(m, rx);
    mon.on_probe_reply(m, 0, clock.now());
    rte_pktmbuf_free(m);
  }
  // Control reads the echoes a worker received by now (none while the worker is stalled).
  void read_replies() {
    if (!worker_running) return;
    std::erase_if(flight, [this](const InFlight& f) {
      if (f.rx > clock.now()) return false;
      echo(f.m, f.rx);
      return true;
    });
  }
  // The worker runs again: probes control queued meanwhile leave now, echoes that arrived wait no longer.
  void resume_worker() {
    const uint64_t now = clock.now();
    for (InFlight& f : flight) f.rx = f.sent >= worker_stalled_at ? now + rtt_ms * 1'000'000 : std::max(f.rx, now);
    worker_running = true;
  }
  void stall_worker() {
    worker_running = false;
    worker_stalled_at = clock.now();
  }
  // The link comes up on its first replies; then user traffic leaves on it and `rx` packets per step come back.
  void up_then_traffic(uint64_t rx) {
    run_for(100);
    REQUIRE(mon.alive(0));
    tx_per_step = 10;
    rx_per_step = rx;
  }
  // One control tick `ms` after the previous one, in the control loop's order.
  void tick_after(uint64_t ms) {
    clock.advance_ms(ms);
    const uint64_t now = clock.now();
    mon.note_tick(now);
    read_replies();
    mon.send_probes(now, gw);
    for (rte_mbuf* m : probes)
      if (answer && !(loss > 0 && static_cast<double>(rng() >> 11) * 0x1.0p-53 < loss))
        flight.push_back({m, now, now + rtt_ms * 1'000'000});
      else
        rte_pktmbuf_free(m);
    probes.clear();
    if (rtt_ms == 0) read_replies();
    if (worker_running) {
      totals.class_link_packets[0][0] += tx_per_step;
      totals.port[1].rx_packets += rx_per_step;
      totals.loops += 1000;
    }
    mon.sample_traffic(now, totals);
    mon.evaluate(now);
  }
  // Runs the monitor for `ms` in 5 ms steps, as the control loop does.
  void run_for(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 5) tick_after(5);
  }
  size_t downs() const {
    size_t n = 0;
    for (const Event& e : events.recent(1000)) n += e.kind == "link_state" && e.to == "down";
    return n;
  }
};

}  // namespace

TEST_CASE("passive signal: a link sending but receiving nothing is suspected after the passive window", "[monitor]") {
  // Probed every 500 ms (detect time 2 s): the passive window is 3 probe spacings, 1.5 s, and fires first.
  MonitorRig r(500);
  const uint32_t window = 3 * 500;
  REQUIRE(window > r.policy.links[0].probe.passive_timeout_ms);
  r.up_then_traffic(0);
  r.answer = false;  // nothing comes back at all, not even probe replies
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
  // Probed every 100 ms, down after 400 ms of silence: the passive window (300 ms) is what withdraws the link.
  MonitorRig r(100, 4);
  r.up_then_traffic(0);
  r.run_for(200);
  r.answer = false;
  r.run_for(400);
  REQUIRE_FALSE(r.mon.alive(0));
  REQUIRE(r.mon.why_left(0, 0, r.gw) == "suspect_no_rx");
  r.tx_per_step = 0;  // traffic stops; the probes are answered again
  r.answer = true;

  r.run_for(kHoldDownMs * 3 / 10);
  CHECK_FALSE(r.mon.alive(0));
  // The run breaks: no replies for longer than the detect time (4 x 100 ms). The hold-down starts over.
  r.answer = false;
  r.run_for(600);
  r.answer = true;
  r.run_for(kHoldDownMs - 100);
  CHECK_FALSE(r.mon.alive(0));
  CHECK(r.mon.why_left(0, 0, r.gw) == "suspect_no_rx");
  r.run_for(300);
  CHECK(r.mon.alive(0));
  const auto ev = r.events.recent(1);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == "link_state");
  CHECK(ev[0].cause == "recovered");
}

// ---- The edge's own stalls (StallWatch): time the edge did not run is not the line's silence ----

namespace {
// After one stall of the edge on a healthy line: up all along, no probe counted lost.
void check_one_stall_no_harm(const MonitorRig& r) {
  CHECK(r.mon.alive(0));
  CHECK(r.downs() == 0);
  CHECK(r.mon.stalls().stalls() == 1);
  const LinkMetrics m = r.mon.metrics(0);
  CHECK(m.probes_lost == 0);
  CHECK(m.loss_pct == 0);
}
}  // namespace

TEST_CASE("stall: control not running for 500 ms on a healthy line is neither down nor loss", "[monitor][stall]") {
  MonitorRig r;
  r.rtt_ms = 10;
  r.up_then_traffic(1);
  r.run_for(500);
  r.tick_after(500);  // the control thread was not scheduled; the worker and the line kept working
  CHECK(r.mon.alive(0));
  r.run_for(500);
  check_one_stall_no_harm(r);
}

TEST_CASE("stall: replies waiting unread while the worker did not run are not lost", "[monitor][stall]") {
  MonitorRig r;
  r.rtt_ms = 10;
  r.up_then_traffic(1);
  r.run_for(500);
  r.stall_worker();  // control keeps ticking and queueing probes; nothing is sent, echoes wait in the NIC
  r.run_for(500);
  CHECK(r.mon.alive(0));
  r.resume_worker();  // the probes leave 0.5 s late, their echoes come back a whole reply timeout after "sent"
  r.run_for(500);
  check_one_stall_no_harm(r);
}

TEST_CASE("stall: a line that died during a stall is down within one detect time after it", "[monitor][stall]") {
  MonitorRig r;
  r.up_then_traffic(1);
  r.run_for(500);
  r.answer = false;  // the line dies as the whole edge stops (SIGSTOP: control and worker alike)
  r.stall_worker();
  r.tick_after(500);
  r.resume_worker();
  CHECK(r.mon.alive(0));  // the stall itself is not silence
  // The silence before the stall (the last reply, up to one 20 ms interval before it) still counts; the stall
  // itself does not, nor twice (the tick gap and the still worker overlap).
  r.run_for(60);
  CHECK(r.mon.alive(0));
  r.run_for(25);  // detect time: 80 ms of silence, at most one detect time after the stall
  CHECK_FALSE(r.mon.alive(0));
  CHECK(r.mon.why_left(0, 0, r.gw) == "probe_timeout");
}

TEST_CASE("saturated uplink: probes answered past the reply timeout keep the link up, slow", "[monitor][stall]") {
  MonitorRig r;
  r.up_then_traffic(0);  // user traffic leaves; only probe replies come back (counters say nothing else)
  // The modem queue fills: every 5 ms the delay grows 1 ms (the uplink offered 1.2 x its rate), to 400 ms, past
  // the 300 ms reply timeout, and stays there.
  for (; r.rtt_ms < 400; r.rtt_ms++) r.tick_after(5);
  r.run_for(2000);
  CHECK(r.mon.alive(0));
  CHECK(r.downs() == 0);
  CHECK(r.mon.suspects(0) == 0);
  CHECK(r.mon.metrics(0).loss_pct > 50);  // slow: every reply is late, which the SLA gates judge
}

TEST_CASE("5 % loss on a line carrying traffic: a 1 % loss class leaves it within 1 s, every time", "[monitor]") {
  // The real Prober and LinkMonitor, one ICMP target, a control tick every ms: traffic makes the probes leave every
  // 5 ms, the first loss boosts them to 1 ms, and the loss test decides. 20 seeded lines, from the loss's start.
  std::vector<uint64_t> took;
  for (int run = 0; run < 20; run++) {
    MonitorRig r;
    r.rng.seed(100 + run);
    r.policy.classes[0].sla.max_loss_pct = 1;
    r.up_then_traffic(1);
    r.run_for(500);
    REQUIRE(r.mon.sla_ok(0, 0));
    r.loss = 0.05;
    uint64_t ms = 0;
    while (r.mon.sla_ok(0, 0) && ms < 5000) {
      r.tick_after(1);
      ms++;
    }
    took.push_back(ms);
    CHECK(r.mon.why_left(0, 0, r.gw) == "sla_loss");
  }
  std::sort(took.begin(), took.end());
  INFO("ms from 5 % loss to the class leaving: median " << took[10] << ", max " << took[19]);
  CHECK(took[10] <= 500);   // measured 240 ms
  CHECK(took[19] <= 1000);  // measured 510 ms
}
