// EgressRig: a LAN and two WAN ports backed by rings, one or two workers driven without lcores, a hand-made
// snapshot and an injected clock (1 tick = 1 ns), for the egress tests (meters, shaper, hand-off).
#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <catch2/catch.hpp>

#include "dataplane/egress.hpp"
#include "dataplane/flow_cache.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/worker.hpp"
#include "tests/unit/packet_builder.hpp"
#include "tests/unit/ring_ports.hpp"

namespace wansteer::test {

inline constexpr uint64_t kHz = 1000000000;  // the tests' clock: 1 tick = 1 ns
inline constexpr uint64_t kMs = kHz / 1000;
inline constexpr uint8_t kVoip = 0, kDefault = 1, kGuest = 2;

// LAN + two WAN ports backed by rings (two queues each, one per worker), a pool, a hand-made snapshot.
struct EgressRig {
  rte_mempool* pool = nullptr;
  RingPorts<3> ring_ports;
  rte_ring* (&rx)[3][2] = ring_ports.rx;
  rte_ring* (&tx)[3][2] = ring_ports.tx;
  uint16_t (&ports)[3] = ring_ports.ports;
  std::vector<WorkerContext*> workers;
  std::vector<rte_ring*> handoff;
  std::unique_ptr<DataplaneSnapshot> snap = std::make_unique<DataplaneSnapshot>();
  unsigned base_in_use = 0;

  explicit EgressRig(unsigned n_workers = 1) {
    static int instance = 0;
    std::string id = std::to_string(instance++);
    pool = make_test_pool(("egr_pool" + id).c_str(), 4095);
    REQUIRE(pool);
    ring_ports.open("egr" + id, pool, 4096);
    for (unsigned i = 0; i < n_workers; i++) {
      auto* w = new WorkerContext();
      w->worker_id = static_cast<uint16_t>(i);
      w->n_ports = 3;
      for (int p = 0; p < 3; p++) w->port_ids[p] = ports[p];
      workers.push_back(w);
    }
    std::string err;
    REQUIRE(egress_rings_create(workers, 2, SOCKET_ID_ANY, handoff, &err));
    snap->n_links = 2;
    snap->n_classes = 3;
    snap->egress.tsc_hz = kHz;
    for (uint8_t c = 0; c < 3; c++)
      for (uint8_t l = 0; l < 2; l++) snap->egress.meter[c][l].generation = 1;  // unlimited
    base_in_use = rte_mempool_in_use_count(pool);
  }

  ~EgressRig() {
    for (WorkerContext* w : workers) {
      egress_drain(*w);
      tx_flush_all(*w);
    }
    egress_rings_free(handoff);
    for (int p = 0; p < 3; p++) sent(p);
    CHECK(rte_mempool_in_use_count(pool) == base_in_use);  // every mbuf came back
    ring_ports.close();
    for (WorkerContext* w : workers) delete w;
    rte_mempool_free(pool);
  }

  // Shapes link `l` at `rate_bps` with `burst` bytes, order voip > default > guest, CoDel on guest only.
  void shape(uint8_t l, uint64_t rate_bps, uint64_t burst, uint16_t queue_limit = 64) {
    ShaperConfig& s = snap->egress.shaper[l];
    s.generation++;
    s.enabled = true;
    s.rate = rate_bps / 8;
    s.burst = burst;
    s.n_order = 3;
    s.order[0] = kVoip;
    s.order[1] = kDefault;
    s.order[2] = kGuest;
    for (auto& q : s.queue_limit) q = queue_limit;
    for (auto& b : s.queue_limit_bytes) b = std::max<uint32_t>(queue_limit * 1500u, kMaxFrameBytes);  // as control
    s.max_wait_tsc = 1000 * kMs;
    s.delay_drop_mask = 1u << kGuest;
    s.delay_target_tsc = 5 * kMs;
    s.delay_interval_tsc = 100 * kMs;
  }

  // A frame of `len` bytes of class `cls`; the UDP source port carries the class and a sequence number.
  rte_mbuf* packet(uint8_t cls, uint16_t len = 1000, uint16_t seq = 0) {
    Bytes f = PacketBuilder()
                  .ipv4(ip4("192.168.10.10"), ip4("203.0.113.10"))
                  .udp(static_cast<uint16_t>(cls * 10000 + seq), 443)
                  .payload(len - 42u)
                  .build();
    rte_mbuf* m = to_mbuf(pool, f);
    REQUIRE(m != nullptr);
    meta_of(m)->class_id = cls;
    meta_of(m)->l3 = static_cast<uint8_t>(L3::ipv4);
    meta_of(m)->l3_offset = 14;
    return m;
  }

  void submit(uint8_t link, rte_mbuf* m, uint64_t now, unsigned worker = 0) {
    egress_submit(*workers[worker], *snap, link, m, now);
  }
  // One worker loop's egress part: service, then transmit what was staged.
  void service(uint64_t now, unsigned worker = 0) {
    egress_service(*workers[worker], *snap, now);
    tx_flush_all(*workers[worker]);
  }
  // Classes (from the UDP source port) of what port `p` sent, in order; the mbufs are freed.
  std::vector<uint8_t> sent(int p, uint64_t* bytes = nullptr) {
    std::vector<uint8_t> out;
    for (int q = 0; q < 2; q++) {
      void* x;
      while (rte_ring_dequeue(tx[p][q], &x) == 0) {
        auto* m = static_cast<rte_mbuf*>(x);
        const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
        out.push_back(static_cast<uint8_t>(((d[34] << 8) | d[35]) / 10000));
        if (bytes) *bytes += m->pkt_len;
        rte_pktmbuf_free(m);
      }
    }
    return out;
  }
  // Worker `wi` gets a flow cache with the voip flow of packet(kVoip, _, 1) on link 0, as the general path would
  // have left it; the snapshot admits it on the LAN fast lane (to the LAN port's MAC, from an untagged subnet).
  void cache_voip_flow(unsigned wi) {
    WorkerContext& w = *workers[wi];
    std::string err;
    w.flows = FlowCache::create("egr_fast_flows" + std::to_string(wi), 1024, SOCKET_ID_ANY, &err);
    REQUIRE(w.flows);
    const rte_ether_addr gw{{0x02, 0, 0, 0, 0x01, 0x01}};
    for (uint8_t l = 0; l < 2; l++) {
      snap->links[l].gateway_resolved = true;
      snap->links[l].gateway_mac = gw;
    }
    std::copy(PacketBuilder::kDefaultDst.begin(), PacketBuilder::kDefaultDst.end(), snap->lan_mac.addr_bytes);
    snap->lan[0] = LanSubnet{ip4("192.168.10.1"), ip4("192.168.10.0"), 0xffffff00u, 0, false};
    snap->n_lan = 1;
    snap->generation = 7;
    snap->policy_generation = 3;
    snap->flow_idle_tsc = 1000 * kMs;
    snap->steering.cls[kVoip].stay_mask = 0b11;
    rte_mbuf* first = packet(kVoip, 1000, 1);
    DropReason why;
    REQUIRE(parse_packet(first, 0, &why));
    FlowKey key;
    flow_key_from_meta(*meta_of(first), &key);
    FlowEntry* e = w.flows->insert(key, meta_of(first)->flow_hash, w.counters);
    REQUIRE(e != nullptr);
    *e = FlowEntry{0, 0, 0, flow_generation(3), kVoip, 0};
    rte_pktmbuf_free(first);
  }
  const ClassLinkEgressCounters& ctr(uint8_t cls, uint8_t link, unsigned worker = 0) {
    return workers[worker]->counters.egress[cls][link];
  }
};

// A frame of `len` bytes of class `cls` chained from segments of at most the pool's data room (2048 bytes), as a
// NIC delivers a jumbo frame; the UDP source port in the first segment carries the class.
inline rte_mbuf* chained_packet(EgressRig& rig, uint8_t cls, uint32_t len, uint16_t seq) {
  const uint32_t room = rte_pktmbuf_data_room_size(rig.pool) - RTE_PKTMBUF_HEADROOM;
  rte_mbuf* head = rig.packet(cls, static_cast<uint16_t>(std::min(len, room)), seq);
  for (uint32_t left = len - head->pkt_len; left != 0;) {
    rte_mbuf* seg = rte_pktmbuf_alloc(rig.pool);
    REQUIRE(seg != nullptr);
    const uint16_t n = static_cast<uint16_t>(std::min(left, room));
    REQUIRE(rte_pktmbuf_append(seg, n) != nullptr);
    REQUIRE(rte_pktmbuf_chain(head, seg) == 0);
    left -= n;
  }
  REQUIRE(head->pkt_len == len);
  return head;
}

inline uint64_t drops(EgressRig& rig, DropReason r) { return rig.workers[0]->counters.drop[static_cast<int>(r)].get(); }

}  // namespace wansteer::test
