// Egress tests over ring-backed DPDK ports with an injected clock: strict priority, the shaper's rate bound,
// no added delay when idle, bounded queues, CoDel-style drops for low classes, the owner-core hand-off between
// two workers, and (through the real ControlPlane and forwarding) a class blocked on the backup link.
#include <catch2/catch.hpp>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "control/operations/metrics.hpp"
#include "control/runtime/control_plane.hpp"
#include "control/runtime/egress_plan.hpp"
#include "dataplane/egress.hpp"
#include "dataplane/fast_lane.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/setup/ports.hpp"
#include "dataplane/worker.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/egress_rig.hpp"
#include "tests/unit/packet_builder.hpp"
#include "tests/unit/ring_ports.hpp"
#include "tests/unit/worker_wakes.hpp"

using namespace wansteer;
using namespace wansteer::test;

TEST_CASE("two workers: the fast lane hands a cached flow on a link the other worker owns to its owner",
          "[shaper][fast_lane]") {
  EgressRig rig(2);
  WorkerContext& w1 = *rig.workers[1];
  rig.cache_voip_flow(1);
  // Link 0 belongs to worker 0; 1000 bytes per ms on it for voip, so 3 of 5 back-to-back 1000-byte packets pass.
  MeterProfile& mp = rig.snap->egress.meter[kVoip][0];
  mp.generation = 2;
  mp.mode = MeterMode::limit;
  mp.cir = mp.pir = 1000000;
  mp.cbs = mp.pbs = 3000;

  rte_mbuf* pkts[5];
  for (auto& m : pkts) m = rig.packet(kVoip, 1000, 1);
  CHECK(lan_fast_lane(w1, *rig.snap, pkts, 5, 10) == 0);  // all five taken by the fast lane
  CHECK(w1.counters.fast_lane.get() == 5);
  CHECK(w1.counters.class_link[kVoip][0].packets.get() == 0);  // counted when transmitted, not when steered
  rig.service(10, 1);                                          // worker 1 pushes them into link 0's hand-off ring
  CHECK(w1.counters.handoff_sent.get() == 5);
  CHECK(rig.sent(1).empty());
  rig.service(10, 0);  // the owner meters them: one bucket for the link
  CHECK(rig.workers[0]->counters.handoff_received.get() == 5);
  CHECK(rig.ctr(kVoip, 0, 0).meter_conform.get() == 3);
  CHECK(rig.ctr(kVoip, 0, 0).meter_exceed_drops.get() == 2);
  CHECK(rig.sent(1).size() == 3);
  CHECK(rig.workers[0]->counters.class_link[kVoip][0].packets.get() == 3);  // what left, not the 2 meter drops
  w1.flows.reset();
}

TEST_CASE("two workers: a cached flow on an unshaped link with no limit leaves from its own worker, not the owner",
          "[shaper][fast_lane]") {
  // Nothing on the link has a single writer (no meter, no shaper), so the owner has nothing to do for it: a
  // hand-off would only cost a ring and the owner's core (bench/throughput --workers 2 dropped most packets in
  // full hand-off rings when the owner shared its core).
  EgressRig rig(2);
  WorkerContext& w1 = *rig.workers[1];
  rig.cache_voip_flow(1);  // on link 0, which worker 0 owns

  rte_mbuf* pkts[5];
  for (auto& m : pkts) m = rig.packet(kVoip, 1000, 1);
  CHECK(lan_fast_lane(w1, *rig.snap, pkts, 5, 10) == 0);  // all five taken by the fast lane
  rig.service(10, 1);
  CHECK(w1.counters.handoff_sent.get() == 0);
  CHECK(rig.sent(1).size() == 5);
  CHECK(w1.counters.class_link[kVoip][0].packets.get() == 5);
  CHECK(w1.counters.direct_tx[kVoip][0].packets.get() == 5);  // counted as conform by control, as on the owner
  rig.service(10, 0);
  CHECK(rig.workers[0]->counters.handoff_received.get() == 0);
  w1.flows.reset();
}

TEST_CASE("idle shaped link: a packet leaves in the same service call", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 5000000, 3125);
  rig.submit(1, rig.packet(kGuest), 0);
  rig.service(0);
  CHECK(rig.sent(2).size() == 1);
  // and again much later, below capacity: still no wait
  rig.submit(1, rig.packet(kDefault), 10 * kMs);
  rig.service(10 * kMs);
  CHECK(rig.sent(2).size() == 1);
  CHECK(rig.ctr(kGuest, 1).queue_depth.get() == 0);
}

TEST_CASE("a saturated shaper serves classes in strict priority order", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 5000000, 3125);  // 625000 bytes/s: one 1000-byte packet per 1.6 ms; burst = 3 packets
  for (uint16_t i = 0; i < 10; i++) rig.submit(1, rig.packet(kGuest, 1000, i), 0);
  for (uint16_t i = 0; i < 10; i++) rig.submit(1, rig.packet(kDefault, 1000, i), 0);
  for (uint16_t i = 0; i < 10; i++) rig.submit(1, rig.packet(kVoip, 1000, i), 0);
  std::vector<uint8_t> order;
  for (uint64_t t = 0; t <= 60 * kMs; t += kMs / 10) {
    rig.service(t);
    for (uint8_t c : rig.sent(2)) order.push_back(c);
  }
  REQUIRE(order.size() == 30);
  for (size_t i = 0; i < 30; i++) CHECK(order[i] == (i < 10 ? kVoip : i < 20 ? kDefault : kGuest));
  // A voip packet arriving while guest waits goes ahead of all of guest.
  EgressRig rig2;
  rig2.shape(1, 5000000, 3125);
  for (uint16_t i = 0; i < 10; i++) rig2.submit(1, rig2.packet(kGuest, 1000, i), 0);
  rig2.service(0);
  CHECK(rig2.sent(2).size() == 3);  // the burst
  rig2.submit(1, rig2.packet(kVoip), kMs);
  rig2.service(2 * kMs);  // 2 ms of tokens = 1250 bytes: one packet, and it is voip
  CHECK(rig2.sent(2) == std::vector<uint8_t>{kVoip});
}

TEST_CASE("probes from control bypass a saturated shaper: they leave in the loop that takes them", "[shaper][probe]") {
  // A full uplink must not delay or drop the probes that judge it: a probe waiting behind bulk in the shaper
  // would read as loss (or a dead link) exactly when the link is busiest.
  EgressRig rig;
  rig.shape(1, 5000000, 3125);
  for (uint16_t i = 0; i < 40; i++) rig.submit(1, rig.packet(kDefault, 1000, i), 0);
  rig.service(0);
  REQUIRE(rig.sent(2).size() == 3);  // the burst; 37 wait for tokens
  rte_ring* ctl = rte_ring_create("egr_probe_ctl", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  REQUIRE(ctl != nullptr);
  rig.workers[0]->from_control = ctl;
  rte_mbuf* probe = rig.packet(kGuest, 100, 7);  // lowest class: only a bypass gets it out now
  probe->port = 2;                               // port index of link 1, as the Prober's SendFn sets it
  REQUIRE(rte_ring_sp_enqueue(ctl, probe) == 0);
  worker_poll_once(*rig.workers[0], *rig.snap, 100);  // 100 ns later: no tokens for any bulk packet
  CHECK(rig.sent(2) == std::vector<uint8_t>{kGuest});
  CHECK(rig.ctr(kDefault, 1).queue_depth.get() == 37);
  CHECK(rig.workers[0]->counters.drop[static_cast<uint32_t>(DropReason::queue_full)].get() == 0);
  rig.workers[0]->from_control = nullptr;
  rte_ring_free(ctl);
}

TEST_CASE("the shaper never exceeds its rate over any window, and fills the link when offered more", "[shaper]") {
  EgressRig rig;
  const uint64_t rate = 625000, burst = 3125;  // 5 Mbit/s
  rig.shape(1, rate * 8, burst, 256);
  uint64_t released = 0;
  uint16_t seq = 0;
  // 10 Mbit/s offered (a 1250-byte packet every ms, alternating classes) for 2 s; service every 100 us.
  for (uint64_t t = 0; t <= 2000 * kMs; t += kMs / 10) {
    if (t % kMs == 0) {
      rig.submit(1, rig.packet(static_cast<uint8_t>(seq % 3), 1250, seq), t);
      seq++;
    }
    rig.service(t);
    rig.sent(2, &released);
    // cumulative bound: the bucket's burst plus the rate times the time elapsed
    REQUIRE(released <= burst + rate * t / kHz);
  }
  CHECK(released >= rate * 2 - 2 * 1250);  // and the link was kept busy
  uint64_t dropped = 0;
  for (uint8_t c = 0; c < 3; c++) dropped += rig.ctr(c, 1).queue_drops.get() + rig.ctr(c, 1).codel_drops.get();
  CHECK(dropped > 0);
  CHECK(rig.ctr(kVoip, 1).queue_drops.get() == 0);  // the top class is always served first
}

TEST_CASE("queues are bounded: tail drops are counted and the depth gauge shows the queue", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 1000000, 3028, 16);
  for (uint16_t i = 0; i < 50; i++) rig.submit(1, rig.packet(kDefault, 1500, i), 0);
  CHECK(rig.ctr(kDefault, 1).queue_drops.get() == 50 - 16);
  CHECK(rig.workers[0]->counters.drop[static_cast<int>(DropReason::queue_full)].get() == 50 - 16);
  rig.service(0);
  CHECK(rig.sent(2).size() == 2);  // 3028 bytes of burst = two 1500-byte frames
  CHECK(rig.ctr(kDefault, 1).queue_depth.get() == 14);
}

TEST_CASE("CoDel-style drops hit the low classes only, once the delay stays above target", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 1000000, 3028, 64);  // 125000 bytes/s: a 1000-byte packet every 8 ms; 64 packets per queue
  uint16_t seq = 0;
  // 2 Mbit/s each of voip and guest for 3 s: voip takes the whole link, guest waits ever longer.
  for (uint64_t t = 0; t <= 3000 * kMs; t += kMs) {
    if (t % (4 * kMs) == 0) {
      rig.submit(1, rig.packet(kVoip, 1000, seq), t);
      rig.submit(1, rig.packet(kGuest, 1000, seq++), t);
    }
    rig.service(t);
    rig.sent(2);
  }
  CHECK(rig.ctr(kVoip, 1).codel_drops.get() == 0);
  // Guest is starved by voip, yet its head is checked every service call: it sheds by delay all along.
  CHECK(rig.ctr(kGuest, 1).codel_drops.get() > 0);
  // Now voip stops; once its queue (64 x 8 ms) drains, guest's head packets have waited far beyond 5 ms and
  // keep dropping while guest gets the link.
  uint64_t guest_sent = 0;
  for (uint64_t t = 3001 * kMs; t <= 4500 * kMs; t += kMs) {
    rig.service(t);
    guest_sent += rig.sent(2).size();
  }
  CHECK(rig.ctr(kGuest, 1).codel_drops.get() > 0);
  CHECK(rig.workers[0]->counters.drop[static_cast<int>(DropReason::queue_delay)].get() ==
        rig.ctr(kGuest, 1).codel_drops.get());
  CHECK(guest_sent > 0);
  CHECK(rig.ctr(kVoip, 1).queue_drops.get() > 0);  // voip overloaded the link: tail drops, never delay drops
}

TEST_CASE("shaping disabled: the same burst goes straight to the NIC", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 1000000, 3028, 16);
  rig.snap->egress.shaper[1].enabled = false;
  for (uint16_t i = 0; i < 50; i++) rig.submit(1, rig.packet(kGuest, 1500, i), 0);
  rig.service(0);
  CHECK(rig.sent(2).size() == 50);
  CHECK(rig.ctr(kGuest, 1).queue_drops.get() == 0);
}

TEST_CASE("a fast link's bucket refills to full after an idle gap (no 64-bit overflow in elapsed x rate)", "[shaper]") {
  // 400 Gbit/s = 5e10 bytes/s. After an idle gap of 368934882 ticks, elapsed x rate is 2^64 + 2.6e10: a refill
  // computed as elapsed x rate wraps to 26 bytes' worth of tokens, and the burst below would wait.
  EgressRig rig;
  rig.shape(1, 400000000000ull, 3000);
  for (uint16_t i = 0; i < 3; i++) rig.submit(1, rig.packet(kDefault, 1000, i), 0);
  rig.service(0);
  REQUIRE(rig.sent(2).size() == 3);  // the bucket is empty now
  const uint64_t gap = 368934882;
  for (uint16_t i = 0; i < 3; i++) rig.submit(1, rig.packet(kDefault, 1000, i), gap);
  rig.service(gap);
  CHECK(rig.sent(2).size() == 3);  // a full bucket again
  CHECK(rig.ctr(kDefault, 1).queue_depth.get() == 0);
}

TEST_CASE("meter on a shaped link: over-limit packets are dropped before they queue", "[shaper][meter]") {
  EgressRig rig;
  rig.shape(1, 5000000, 3125);
  MeterProfile& p = rig.snap->egress.meter[kGuest][1];
  p = MeterProfile{};
  p.generation = 2;
  p.mode = MeterMode::limit;
  p.cir = p.pir = 125000;
  p.cbs = p.pbs = 3000;
  for (uint16_t i = 0; i < 5; i++) rig.submit(1, rig.packet(kGuest, 1000, i), 0);
  CHECK(rig.ctr(kGuest, 1).meter_conform.get() == 3);
  CHECK(rig.ctr(kGuest, 1).meter_exceed_drops.get() == 2);
  CHECK(rig.workers[0]->counters.drop[static_cast<int>(DropReason::meter_exceed)].get() == 2);
  rig.service(0);
  CHECK(rig.sent(2).size() == 3);
}

TEST_CASE("two workers: link 1 belongs to worker 1, which meters what both steer (limit exact in total)",
          "[shaper][meter]") {
  EgressRig rig(2);
  MeterProfile& p = rig.snap->egress.meter[kGuest][1];
  p.generation = 2;
  p.mode = MeterMode::limit;
  p.cir = p.pir = 125000;  // 1 Mbit/s
  p.cbs = p.pbs = 10000;   // ten 1000-byte packets
  // Both workers steer 20 guest packets each to link 1 at the same instant.
  for (uint16_t i = 0; i < 20; i++) {
    rig.submit(1, rig.packet(kGuest, 1000, i), 0, 0);
    rig.submit(1, rig.packet(kGuest, 1000, i), 0, 1);
  }
  rig.service(0, 0);  // worker 0 pushes its 20 to link 1's hand-off ring
  CHECK(rig.workers[0]->counters.handoff_sent.get() == 20);
  rig.service(0, 1);  // worker 1 takes them in and sends what the single meter allows
  CHECK(rig.workers[1]->counters.handoff_received.get() == 20);
  CHECK(rig.ctr(kGuest, 1, 1).meter_conform.get() == 10);  // not 2 x 10: one bucket for the link
  CHECK(rig.ctr(kGuest, 1, 1).meter_exceed_drops.get() == 30);
  CHECK(rig.ctr(kGuest, 1, 0).meter_conform.get() == 0);
  CHECK(rig.sent(2).size() == 10);
  // Link 0 is worker 0's: worker 1 hands its packets over.
  rig.submit(0, rig.packet(kVoip), 0, 1);
  rig.service(0, 1);
  rig.service(0, 0);
  CHECK(rig.sent(1).size() == 1);
  CHECK(rig.ctr(kVoip, 0, 0).meter_conform.get() == 1);
}

TEST_CASE("two workers sleeping until a packet: a hand-off to a link's owner kicks the owner only while it sleeps",
          "[shaper][idle]") {
  EgressRig rig(2);
  give_workers_wakes(rig.workers);
  IdleWake& owner = *rig.workers[1]->wake;  // link 1 belongs to worker 1
  rig.submit(1, rig.packet(kGuest), 0, 0);
  rig.service(0, 0);  // owner awake: the hand-off rings no kick (its loop finds the packet)
  CHECK(owner.wait(0) == IdleWake::Woken::kTimeout);
  rig.service(0, 1);
  owner.arm();  // the owner sleeps until a packet: no doorbell rings for what another worker hands it
  rig.submit(1, rig.packet(kGuest), 0, 0);
  rig.service(0, 0);
  CHECK(owner.wait(10'000) == IdleWake::Woken::kKick);
  owner.disarm();
  CHECK(rig.workers[0]->wake->wait(0) == IdleWake::Woken::kTimeout);  // nobody kicked the sender
  rig.service(0, 1);
  CHECK(rig.workers[1]->counters.handoff_received.get() == 2);
  CHECK(rig.sent(2).size() == 2);
}

namespace {

// Ring ports answer no probes: with probing off, links count as healthy while up.
const char* kBackupPolicy = R"(
probing: false
lan:
  device: net_null0
  subnets:
    - address: 192.168.10.1/24
    - address: 192.168.20.1/24
      vlan: 20
  neighbors:
    - {ip: 192.168.10.10, mac: "02:00:00:00:10:10"}
links:
  - name: fiber
    device: net_null1
    address: 100.64.1.2/30
    gateway: 100.64.1.1
    gateway_mac: "02:00:00:00:01:01"
    capacity: {up: 100mbit}
  - name: lte
    device: net_null2
    address: 100.64.2.2/30
    gateway: 100.64.2.1
    gateway_mac: "02:00:00:00:02:01"
    role: backup
    capacity: {up: 100mbit}
classes:
  - name: voip
    links: [fiber, lte]
  - name: guest
    links: [fiber, lte]
    on_backup: block
  - name: default
    links: [fiber, lte]
    on_backup: {limit: {rate: 64kbit, burst: 3000}}
rules:
  - class: guest
    vlan: 20
  - class: voip
    protocol: udp
    dst_ports: "5060-5061"
)";

// The shared rig (tests/unit/control_rig.hpp) running kBackupPolicy; frames enter on the LAN port.
struct BackupRig : ControlRig {
  BackupRig() : ControlRig(parsed()) {}
  static Policy parsed() {
    auto pr = parse_policy(kBackupPolicy, "backup.yaml", ".");
    INFO((pr.errors.empty() ? "" : pr.errors[0].to_string()));
    REQUIRE(pr.ok());
    return std::move(*pr.policy);
  }
  void inject(const Bytes& frame) { ControlRig::inject(0, frame); }
  size_t sent(int port) { return ControlRig::sent(port).size(); }
};

const Mac kStaff{0x02, 0, 0, 0, 0x10, 0x10};

Bytes guest_frame(uint16_t sport) {
  return PacketBuilder(PacketBuilder::kDefaultDst, Mac{0x02, 0, 0, 0, 0x20, 0x10})
      .vlan(20)
      .ipv4(ip4("192.168.20.10"), ip4("203.0.113.10"))
      .tcp(sport, 443)
      .build();
}

Bytes staff_frame(uint16_t sport, uint16_t dport, size_t payload) {
  return PacketBuilder(PacketBuilder::kDefaultDst, kStaff)
      .ipv4(ip4("192.168.10.10"), ip4("203.0.113.10"))
      .udp(sport, dport)
      .payload(payload)
      .build();
}

}  // namespace

TEST_CASE("through control and forwarding: guest blocked and default capped once only the backup carries them",
          "[shaper][meter]") {
  BackupRig rig;
  const int guest = 1, def = 2, fiber = 0, lte = 1;
  rig.inject(guest_frame(50000));
  rig.inject(staff_frame(40000, 443, 958));
  rig.poll();
  CHECK(rig.sent(1) == 2);  // both on fiber, unlimited there
  CHECK(rig.w->counters.egress[guest][fiber].meter_conform.get() == 1);

  REQUIRE(rig.cp->handle_command("link down fiber").rfind("link fiber: admin down", 0) == 0);
  for (uint16_t i = 0; i < 3; i++) rig.inject(guest_frame(static_cast<uint16_t>(50001 + i)));
  for (uint16_t i = 0; i < 5; i++) rig.inject(staff_frame(static_cast<uint16_t>(40001 + i), 443, 958));  // 1000 B
  rig.inject(staff_frame(40100, 5060, 200));  // voip: never capped
  rig.poll();
  CHECK(rig.sent(2) == 1 + 3);  // voip + the 3000-byte burst of default's 64 kbit/s backup limit
  CHECK(rig.w->counters.egress[guest][lte].blocked_drops.get() == 3);
  CHECK(rig.w->counters.egress[def][lte].meter_conform.get() == 3);
  CHECK(rig.w->counters.egress[def][lte].meter_exceed_drops.get() == 2);
  CHECK(rig.w->counters.drop[static_cast<int>(DropReason::class_blocked)].get() == 3);
  CHECK(rig.w->counters.drop[static_cast<int>(DropReason::meter_exceed)].get() == 2);

  std::string json = rig.cp->handle_command("show counters --json");
  CHECK(json.find(R"("lte":{"packets":3,"bytes":)") != std::string::npos);
  CHECK(json.find(R"("blocked_drops":3)") != std::string::npos);
  CHECK(json.find(R"("class_blocked":3)") != std::string::npos);
  CHECK(json.find(R"("meter_exceed_drops":2)") != std::string::npos);
  CHECK(json.find(R"("capacity_up_bps":100000000)") != std::string::npos);
  std::string text = rig.cp->handle_command("show counters");
  CHECK(text.find("EGRESS") != std::string::npos);

  // The Prometheus exporter's view: wansteer_class_drops_total{class,link,reason} and the shaper gauges.
  MetricsSnapshot ms = rig.cp->metrics_snapshot();
  auto drops = [&](const char* cls, const char* link, const char* reason) {
    for (const auto& d : ms.class_drops)
      if (d.cls == cls && d.link == link && d.reason == reason) return d.count;
    return uint64_t{999};
  };
  CHECK(drops("guest", "lte", "class_blocked") == 3);
  CHECK(drops("default", "lte", "meter_exceed") == 2);
  CHECK(drops("voip", "lte", "queue_full") == 0);
  REQUIRE(ms.links.size() == 2);
  CHECK(ms.links[lte].egress_queue_packets.size() == 3);
}

TEST_CASE("a frame larger than the shaper's burst still leaves, and what waits behind it follows", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 5000000, 3125);  // the LTE link of the report: 5 Mbit/s, a 3125-byte bucket
  rig.submit(1, chained_packet(rig, kDefault, 8000, 0), 0);
  for (uint16_t i = 1; i <= 5; i++) rig.submit(1, rig.packet(kDefault, 1000, i), 0);
  uint64_t sent_bytes = 0;
  for (uint64_t t = 0; t <= 40 * kMs; t += kMs / 10) {
    rig.service(t);
    rig.sent(2, &sent_bytes);
    // the bucket may go into debt by one frame, never beyond the burst plus the rate over the time elapsed + 1 frame
    REQUIRE(sent_bytes <= 3125 + 8000 + 625000 * t / kHz);
  }
  CHECK(sent_bytes == 8000 + 5 * 1000);  // 13000 bytes at 625 bytes/ms: all gone within ~16 ms
  CHECK(rig.ctr(kDefault, 1).queue_depth.get() == 0);
}

TEST_CASE("frames of every size up to 9000 bytes through a shaped link: each leaves or is dropped, in bounded time",
          "[shaper]") {
  EgressRig rig;
  rig.shape(1, 5000000, 3125, 64);
  const uint64_t max_wait = rig.snap->egress.shaper[1].max_wait_tsc;
  uint64_t submitted = 0, sent = 0, t = 0;
  // Every size from 60 to 9000 bytes, one frame per 0.1 ms, classes in turn: about 7 times the link's rate.
  for (uint32_t len = 60; len <= 9000; len++, t += kMs / 10) {
    rig.submit(1, chained_packet(rig, static_cast<uint8_t>(len % 3), len, static_cast<uint16_t>(len)), t);
    submitted++;
    rig.service(t);
    sent += rig.sent(2).size();
    const LinkEgress& e = rig.workers[0]->egress.link[1];
    for (uint8_t c = 0; c < 3; c++)  // nothing at any head waits beyond the bound
      if (e.q[c].n != 0) REQUIRE(t - e.q[c].enq_tsc[e.q[c].head] <= max_wait);
  }
  for (const uint64_t end = t + max_wait + kMs; t <= end; t += kMs) {  // the bound after the last arrival
    rig.service(t);
    sent += rig.sent(2).size();
  }
  CHECK(rig.workers[0]->egress.link[1].queued == 0);  // nothing stuck
  const uint64_t dropped =
      drops(rig, DropReason::queue_full) + drops(rig, DropReason::queue_delay) + drops(rig, DropReason::queue_timeout);
  CHECK(sent + dropped == submitted);
  CHECK(sent > 0);
  uint64_t class_link_sent = 0;  // class x link counts exactly what left
  for (uint8_t c = 0; c < 3; c++) class_link_sent += rig.workers[0]->counters.class_link[c][1].packets.get();
  CHECK(class_link_sent == sent);
  // the mempool is back to its baseline: checked by ~EgressRig
}

TEST_CASE("queues are bounded in bytes too: jumbo frames hit the byte limit before the packet limit", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 1000000, 3028, 64);
  rig.snap->egress.shaper[1].queue_limit_bytes[kDefault] = 20000;
  for (uint16_t i = 0; i < 4; i++) rig.submit(1, chained_packet(rig, kDefault, 9000, i), 0);
  CHECK(rig.ctr(kDefault, 1).queue_drops.get() == 2);  // 2 x 9000 fit in 20000 bytes, the third does not
  CHECK(drops(rig, DropReason::queue_full) == 2);
}

TEST_CASE("a class starved by a higher one sheds packets older than the hard wait bound", "[shaper]") {
  EgressRig rig;
  rig.shape(1, 1000000, 3028, 64);  // 125 bytes/ms; guest has delay drops, default (a top class) does not
  for (uint16_t i = 0; i < 3; i++) rig.submit(1, rig.packet(kVoip, 1000, i), 0);  // they take the burst
  rig.submit(1, rig.packet(kDefault, 1000, 0), 0);
  uint16_t seq = 3;
  for (uint64_t t = 0; t <= 1500 * kMs; t += kMs) {  // voip alone fills the link (more than it carries) for 1.5 s
    if (t % (8 * kMs) == 0) rig.submit(1, rig.packet(kVoip, 1200, seq++), t);
    rig.service(t);
    rig.sent(2);
  }
  CHECK(rig.ctr(kDefault, 1).timeout_drops.get() == 1);
  CHECK(drops(rig, DropReason::queue_timeout) == 1);
  CHECK(rig.ctr(kDefault, 1).queue_depth.get() == 0);
}
