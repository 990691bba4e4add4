// NAT with two workers over ring-backed ports (two queues each, one per worker): a reply that arrives on the queue
// of the worker that does not own its session is handed to the owner, translated and delivered; so is a LAN
// packet whose inside endpoint another worker owns (one mapping per endpoint, whichever queue its flows use); a
// full inbox is a counted drop; the counters add up and every mbuf comes back.
#include <memory>
#include <string>
#include <vector>

#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_ring.h>
#include <catch2/catch.hpp>

#include "dataplane/egress.hpp"
#include "dataplane/fast_lane.hpp"
#include "dataplane/general_path.hpp"
#include "dataplane/nat_handoff.hpp"
#include "dataplane/nat_translate.hpp"
#include "dataplane/parse.hpp"
#include "dataplane/routed_firewall.hpp"
#include "dataplane/worker.hpp"
#include "tests/unit/packet_builder.hpp"
#include "tests/unit/ring_ports.hpp"
#include "tests/unit/worker_wakes.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

constexpr uint64_t kHz = 1000;
const uint32_t kHost = ip4("192.168.10.10"), kFar = ip4("198.51.100.7"), kLinkIp = ip4("203.0.113.2");
constexpr Mac kHostMac{0x02, 0, 0, 0, 0x10, 0x10};

// Port 0 = LAN, port 1 = one NAT link; each with one queue per worker. The snapshot is made by hand: one LAN
// subnet, the host's neighbour entry, link 0 translating to kLinkIp.
struct TwoWorkerNatRig {
  rte_mempool* pool = nullptr;
  RingPorts<2> ring_ports;
  rte_ring* (&rx)[2][2] = ring_ports.rx;
  rte_ring* (&tx)[2][2] = ring_ports.tx;
  uint16_t (&ports)[2] = ring_ports.ports;
  std::vector<WorkerContext*> workers;
  std::vector<rte_ring*> rings;
  std::unique_ptr<DataplaneSnapshot> snap = std::make_unique<DataplaneSnapshot>();
  std::shared_ptr<NeighborTable> neighbors = std::make_shared<NeighborTable>();
  std::atomic<bool> stop{false};
  unsigned base_in_use = 0;

  TwoWorkerNatRig() {
    static int instance = 0;
    const std::string id = "nho" + std::to_string(instance++);
    pool = make_test_pool((id + "_pool").c_str(), 2047);
    REQUIRE(pool);
    ring_ports.open(id, pool, 256);
    std::string err;
    for (uint16_t i = 0; i < 2; i++) {
      auto* w = new WorkerContext();
      w->worker_id = i;
      w->n_ports = 2;
      w->port_ids[0] = ports[0];
      w->port_ids[1] = ports[1];
      w->stop = &stop;
      w->fast_lane = false;
      w->nat = NatSessionTable::create(id + "_nat" + std::to_string(i), 64, i, 2, SOCKET_ID_ANY, &err);
      REQUIRE(w->nat);
      workers.push_back(w);
    }
    REQUIRE(nat_handoff_rings_create(workers, SOCKET_ID_ANY, rings, &err));
    build_snapshot(id);
    base_in_use = rte_mempool_in_use_count(pool);
  }

  void build_snapshot(const std::string& id) {
    snap->n_links = 1;
    snap->links[0].own_ip = kLinkIp;
    snap->links[0].nat = true;
    snap->nat = NatSettings{NatTimeouts{300 * kHz, 7440 * kHz, 240 * kHz, 60 * kHz}, 16};
    snap->n_lan = 1;
    snap->lan[0] = LanSubnet{ip4("192.168.10.1"), ip4("192.168.10.0"), 0xffffff00u, 0, false};
    const std::string name = id + "_nb";
    rte_hash_parameters hp{};
    hp.name = name.c_str();
    hp.entries = 64;
    hp.key_len = sizeof(uint32_t);
    hp.hash_func = rte_jhash;
    hp.socket_id = SOCKET_ID_ANY;
    neighbors->by_ip = rte_hash_create(&hp);
    REQUIRE(neighbors->by_ip);
    neighbors->entries = std::make_unique<NeighborTable::Entry[]>(1);
    std::copy(kHostMac.begin(), kHostMac.end(), neighbors->entries[0].mac.addr_bytes);
    neighbors->entries[0].subnet = 0;
    const uint32_t key = kHost;
    REQUIRE(rte_hash_add_key_data(neighbors->by_ip, &key, nullptr) == 0);
    snap->neighbors = neighbors;
  }

  ~TwoWorkerNatRig() {
    for (WorkerContext* w : workers) {
      nat_handoff_drain(*w);
      tx_flush_all(*w);
    }
    egress_rings_free(rings);  // frees what is still in the inboxes
    for (int p = 0; p < 2; p++)
      for (int q = 0; q < 2; q++) sent(p, q);
    CHECK(rte_mempool_in_use_count(pool) == base_in_use);  // every mbuf came back
    ring_ports.close();
    for (WorkerContext* w : workers) delete w;
    rte_mempool_free(pool);
  }

  // A UDP reply from the internet to the link's address, port `ext_port`, put on worker `q`'s queue of the link.
  void reply_to(uint16_t ext_port, uint16_t q) {
    wan_frame(PacketBuilder().ipv4(kFar, kLinkIp).udp(53, ext_port).payload(20).build(), q);
  }
  // Any frame from the link, put on worker `q`'s queue.
  void wan_frame(const Bytes& f, uint16_t q) {
    rte_mbuf* m = to_mbuf(pool, f);
    REQUIRE(m);
    REQUIRE(rte_ring_enqueue(rx[1][q], m) == 0);
  }
  void poll(uint16_t worker) { worker_poll_once(*workers[worker], *snap, 10); }
  std::vector<Bytes> sent(int port, int q) {
    std::vector<Bytes> out;
    void* p;
    while (rte_ring_dequeue(tx[port][q], &p) == 0) {
      auto* m = static_cast<rte_mbuf*>(p);
      const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
      out.emplace_back(d, d + m->data_len);
      rte_pktmbuf_free(m);
    }
    return out;
  }
  // LAN to WAN: link 0's gateway known, class 0 may stay on it, each worker with a flow cache; the LAN port's MAC
  // is PacketBuilder's default destination.
  void lan_to_wan_ready() {
    snap->links[0].gateway_resolved = true;
    snap->links[0].gateway_mac = rte_ether_addr{{0x02, 0, 0, 0, 0x01, 0x01}};
    std::copy(PacketBuilder::kDefaultDst.begin(), PacketBuilder::kDefaultDst.end(), snap->lan_mac.addr_bytes);
    snap->n_classes = 1;
    snap->steering.cls[0].stay_mask = 1;
    snap->generation = 7;
    snap->policy_generation = 3;
    snap->flow_idle_tsc = 1000 * kHz;
    for (uint16_t i = 0; i < 2; i++)
      for (uint8_t c = 0; c < kMaxClasses; c++) snap->egress.meter[c][0].generation = 1;  // unlimited
    std::string err;
    for (WorkerContext* w : workers) {
      w->fast_lane = true;  // what a handed-over LAN frame meets first
      w->flows = FlowCache::create("nho_flows" + std::to_string(flow_caches++), 64, SOCKET_ID_ANY, &err);
      REQUIRE(w->flows);
    }
  }
  // A LAN host's UDP datagram, parsed and steered to link 0 as class 0 (what lan_send_burst takes).
  rte_mbuf* lan_packet(uint16_t sport, uint32_t dst, uint16_t dport) {
    rte_mbuf* m = to_mbuf(pool, PacketBuilder().ipv4(kHost, dst).udp(sport, dport).payload(20).build());
    REQUIRE(m);
    DropReason why;
    REQUIRE(parse_packet(m, 0, &why));
    meta_of(m)->class_id = 0;
    meta_of(m)->link = 0;
    return m;
  }
  // Worker `wi` caches m's flow on link 0, as its general path would have; m is freed.
  void cache_flow(uint16_t wi, rte_mbuf* m) {
    FlowKey key;
    flow_key_from_meta(*meta_of(m), &key);
    FlowEntry* e = workers[wi]->flows->insert(key, meta_of(m)->flow_hash, workers[wi]->counters);
    REQUIRE(e != nullptr);
    *e = FlowEntry{0, 0, 0, flow_generation(3), 0, 0};
    rte_pktmbuf_free(m);
  }
  // Each worker's hand-off service (worker 0 first), then both transmit: what crossed arrives and leaves.
  void exchange() {
    for (uint16_t i = 0; i < 2; i++) nat_handoff_service(*workers[i], *snap, 10);
    for (uint16_t i = 0; i < 2; i++) nat_handoff_service(*workers[i], *snap, 10);
    for (WorkerContext* w : workers) tx_flush_all(*w);
  }
  static inline int flow_caches = 0;
  uint64_t drops(uint16_t worker, DropReason r) const {
    return workers[worker]->counters.drop[static_cast<uint32_t>(r)].get();
  }
};

NatSession* session(WorkerContext& w, uint16_t in_port) {
  NatSession* s = nullptr;
  REQUIRE(w.nat->create(0, NatProto::udp, kHost, in_port, 0, 16, &s) == NatAlloc::ok);
  return s;
}

}  // namespace

TEST_CASE("NAT hand-off: a reply on another worker's queue reaches the session's owner, translated", "[nat]") {
  TwoWorkerNatRig rig;
  // Worker 0 maps 192.168.10.10:5001 to an even port (its share); worker 1 maps :6001 to an odd one.
  const uint16_t ext0 = session(*rig.workers[0], 5001)->ext_port;
  const uint16_t ext1 = session(*rig.workers[1], 6001)->ext_port;
  REQUIRE(ext0 % 2 == 0);
  REQUIRE(ext1 % 2 == 1);

  rig.reply_to(ext0, 1);  // RSS put worker 0's reply on worker 1's queue
  rig.reply_to(ext1, 0);  // and worker 1's on worker 0's
  rig.reply_to(4000, 1);  // a port worker 0 never handed out: its owner's firewall drops it
  rig.poll(1);
  rig.poll(0);
  CHECK(rig.workers[1]->counters.handoff_sent.get() == 2);
  CHECK(rig.workers[0]->counters.handoff_sent.get() == 1);
  // Neither worker translated what it did not own; each delivers what it received from the other.
  CHECK(rig.sent(0, 1).empty());
  std::vector<Bytes> lan = rig.sent(0, 0);
  REQUIRE(lan.size() == 1);
  const uint8_t* ip = lan[0].data() + 14;
  CHECK(nat_rd32(ip + 16) == kHost);
  CHECK(nat_rd16(ip + 22) == 5001);
  CHECK(std::equal(kHostMac.begin(), kHostMac.end(), lan[0].begin()));
  CHECK(rig.drops(0, DropReason::inbound_no_session) == 1);
  rig.poll(1);
  lan = rig.sent(0, 1);
  REQUIRE(lan.size() == 1);
  CHECK(nat_rd16(lan[0].data() + 14 + 22) == 6001);
  // Counters add up: everything sent was received, nothing was dropped for a full ring.
  CHECK(rig.workers[0]->counters.handoff_received.get() == 2);
  CHECK(rig.workers[1]->counters.handoff_received.get() == 1);
  CHECK(rig.drops(1, DropReason::nat_handoff_full) == 0);
  CHECK(rig.workers[0]->counters.port[1].rx_packets.get() + rig.workers[1]->counters.port[1].rx_packets.get() == 3);
}

TEST_CASE("NAT hand-off: a reply handed to an owner that sleeps until a packet kicks it awake", "[nat][idle]") {
  TwoWorkerNatRig rig;
  give_workers_wakes(rig.workers);
  const uint16_t ext0 = session(*rig.workers[0], 5001)->ext_port;
  IdleWake& owner = *rig.workers[0]->wake;
  owner.arm();  // worker 0 sleeps; the reply comes in on worker 1's queue: only worker 1's doorbells could ring
  rig.reply_to(ext0, 1);
  rig.poll(1);
  CHECK(rig.workers[1]->counters.handoff_sent.get() == 1);
  CHECK(owner.wait(10'000) == IdleWake::Woken::kKick);
  owner.disarm();
  rig.poll(0);
  CHECK(rig.sent(0, 0).size() == 1);
  rig.reply_to(ext0, 1);  // the owner awake now: no kick, its loop finds the reply
  rig.poll(1);
  CHECK(owner.wait(0) == IdleWake::Woken::kTimeout);
  rig.poll(0);
  CHECK(rig.sent(0, 0).size() == 1);
}

TEST_CASE("NAT hand-off: a full owner inbox drops the reply as nat_handoff_full, mbuf freed", "[nat]") {
  TwoWorkerNatRig rig;
  const uint16_t ext0 = session(*rig.workers[0], 5001)->ext_port;
  rte_ring* inbox = rig.workers[1]->nat_handoff.inbox[0];
  REQUIRE(inbox != nullptr);
  while (rte_ring_free_count(inbox) != 0) {
    rte_mbuf* m = rte_pktmbuf_alloc(rig.pool);
    REQUIRE(m);
    meta_of(m)->port = 1;
    REQUIRE(rte_ring_enqueue(inbox, m) == 0);
  }
  rig.reply_to(ext0, 1);
  rig.poll(1);
  CHECK(rig.drops(1, DropReason::nat_handoff_full) == 1);
  CHECK(rig.workers[1]->counters.handoff_sent.get() == 0);
  CHECK(rig.workers[1]->counters.port[1].drops.get() == 1);
}

TEST_CASE("NAT hand-off: echo replies go by identifier, ICMP errors by the quoted packet's port", "[nat]") {
  TwoWorkerNatRig rig;
  NatSession* echo = nullptr;
  REQUIRE(rig.workers[0]->nat->create(0, NatProto::icmp, kHost, 77, 0, 16, &echo) == NatAlloc::ok);
  const uint16_t ext = session(*rig.workers[0], 33001)->ext_port;
  rig.wan_frame(PacketBuilder().ipv4(kFar, kLinkIp).icmp(0, 0, echo->ext_port, 1).payload(20).build(), 1);
  // A port unreachable quoting the datagram as it left the link (8 bytes of it are enough to find the owner).
  const Bytes left = PacketBuilder().ipv4(kLinkIp, kFar).udp(ext, 53).payload(12).build();
  Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
  icmp.insert(icmp.end(), left.begin() + 14, left.end());
  rig.wan_frame(PacketBuilder().ipv4(ip4("192.0.2.1"), kLinkIp).raw_l4(1, icmp).build(), 1);
  rig.poll(1);
  CHECK(rig.workers[1]->counters.handoff_sent.get() == 2);
  rig.poll(0);
  const std::vector<Bytes> lan = rig.sent(0, 0);
  REQUIRE(lan.size() == 2);
  CHECK(nat_rd16(lan[0].data() + 14 + 24) == 77);          // the echo identifier back to the host's
  CHECK(nat_rd16(lan[1].data() + 14 + 28 + 20) == 33001);  // the quoted source port back to the host's
  CHECK(nat_rd32(lan[1].data() + 14 + 16) == kHost);
}

TEST_CASE("routed firewall hand-off: a reply to a LAN host goes to the worker owning its inside port", "[firewall]") {
  TwoWorkerNatRig rig;
  rig.snap->links[0].nat = false;  // a routed link: replies are addressed to the LAN host itself
  rig.snap->links[0].firewall = true;
  Bytes out = PacketBuilder().ipv4(kHost, kFar).udp(6001, 53).build();
  uint16_t owner = 9;
  CHECK(firewall_outbound(*rig.workers[0], *rig.snap, 0, out.data() + 14, static_cast<uint32_t>(out.size() - 14), true,
                          10, &owner) == FwOut::elsewhere);
  CHECK(owner == 1);  // 6001 is odd: worker 1's
  REQUIRE(firewall_outbound(*rig.workers[1], *rig.snap, 0, out.data() + 14, static_cast<uint32_t>(out.size() - 14),
                            true, 10, &owner) == FwOut::ok);
  auto reply = [&](uint16_t port) {
    rig.wan_frame(PacketBuilder().ipv4(kFar, kHost).udp(53, port).payload(20).build(), 0);
  };
  reply(6001);  // on worker 0's queue
  reply(6003);  // worker 1's port, but no session
  rig.poll(0);
  CHECK(rig.workers[0]->counters.handoff_sent.get() == 2);
  CHECK(rig.sent(0, 0).empty());
  rig.poll(1);
  const std::vector<Bytes> lan = rig.sent(0, 1);
  REQUIRE(lan.size() == 1);
  CHECK(nat_rd16(lan[0].data() + 14 + 22) == 6001);
  CHECK(nat_rd32(lan[0].data() + 14 + 16) == kHost);
  CHECK(rig.drops(1, DropReason::firewall_no_session) == 1);
}

namespace {

// What left link 0 (both queues), as (destination port, source port) of UDP datagrams from the link's address,
// each checked: TTL decremented once, IPv4 and UDP checksums right.
std::vector<std::pair<uint16_t, uint16_t>> wan_sent(TwoWorkerNatRig& rig, std::vector<Bytes>* frames = nullptr) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  for (int q = 0; q < 2; q++)
    for (Bytes& f : rig.sent(1, q)) {
      const uint8_t* ip = f.data() + 14;
      CHECK(nat_rd32(ip + 12) == kLinkIp);
      CHECK(ip[8] == 63);
      CHECK(rte_raw_cksum(ip, 20) == 0xffff);
      Bytes zeroed(ip, ip + f.size() - 14);  // the UDP checksum computed afresh must be the one carried
      zeroed[26] = zeroed[27] = 0;
      CHECK(rte_be_to_cpu_16(rte_ipv4_udptcp_cksum(reinterpret_cast<const rte_ipv4_hdr*>(zeroed.data()),
                                                   zeroed.data() + 20)) == nat_rd16(ip + 26));
      out.emplace_back(nat_rd16(ip + 22), nat_rd16(ip + 20));
      if (frames != nullptr) frames->push_back(f);
    }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("NAT with two workers: an inside endpoint's flows get one external port, whichever queue they use",
          "[nat][fast_lane]") {
  // af_packet's fanout moves a busy flow to another queue when its own fills: before each worker mapped what it
  // received, such a flow got a second external port mid-stream (iperf3 -u then failed: the server's port
  // unreachable for the new port came back as ECONNREFUSED). The worker owning the inside port maps it.
  TwoWorkerNatRig rig;
  rig.lan_to_wan_ready();
  const uint32_t kOther = ip4("203.0.113.77");
  // The general path: :5001 (worker 1's) to two servers through both workers, :5002 (worker 0's) through worker 1.
  rte_mbuf* on0[] = {rig.lan_packet(5001, kFar, 53)};
  rte_mbuf* on1[] = {rig.lan_packet(5001, kOther, 443), rig.lan_packet(5002, kFar, 53)};
  FlowEntry* none[2] = {nullptr, nullptr};
  lan_send_burst(*rig.workers[0], *rig.snap, on0, 1, none, 10);
  lan_send_burst(*rig.workers[1], *rig.snap, on1, 2, none, 10);
  rig.exchange();
  std::vector<Bytes> general;
  using Sent = std::vector<std::pair<uint16_t, uint16_t>>;
  CHECK(wan_sent(rig, &general) == Sent{{53, 5001}, {53, 5002}, {443, 5001}});  // inside ports kept, one per endpoint
  CHECK(rig.workers[0]->counters.handoff_sent.get() == 1);
  CHECK(rig.workers[1]->counters.handoff_sent.get() == 1);
  CHECK(rig.workers[0]->nat->size() == 1);  // :5002's mapping only
  CHECK(rig.workers[1]->nat->size() == 1);  // :5001's, one for both servers
  CHECK(rig.workers[0]->nat->sessions_of(kHost) == 1);

  // The fast lane, the flows cached where they belong: worker 0 receives both frames and hands :5001's on receipt,
  // before any work, to worker 1, whose fast lane takes it (the same frame leaves as from the general path above);
  // :5002's (worker 0's own, mapped now) leaves from worker 0's. Received once, on worker 0; taken once each.
  rig.cache_flow(1, rig.lan_packet(5001, kFar, 53));
  rig.cache_flow(0, rig.lan_packet(5002, kFar, 53));
  rte_mbuf* burst[] = {to_mbuf(rig.pool, PacketBuilder().ipv4(kHost, kFar).udp(5001, 53).payload(20).build()),
                       to_mbuf(rig.pool, PacketBuilder().ipv4(kHost, kFar).udp(5002, 53).payload(20).build())};
  CHECK(lan_fast_lane(*rig.workers[0], *rig.snap, burst, 2, 20) == 0);  // one taken, one handed over
  CHECK(rig.workers[0]->counters.fast_lane.get() == 1);
  rig.exchange();
  CHECK(rig.workers[1]->counters.fast_lane.get() == 1);
  CHECK(rig.workers[0]->counters.port[0].rx_packets.get() == 2);
  CHECK(rig.workers[1]->counters.port[0].rx_packets.get() == 0);
  std::vector<Bytes> lane;
  CHECK(wan_sent(rig, &lane) == Sent{{53, 5001}, {53, 5002}});
  CHECK(rig.workers[0]->counters.handoff_sent.get() == 2);
  CHECK(rig.workers[0]->nat->size() == 1);
  CHECK(rig.workers[1]->nat->size() == 1);
  auto to_far_5001 = [](const std::vector<Bytes>& fs) {
    for (const Bytes& f : fs)
      if (nat_rd16(f.data() + 14 + 20) == 5001 && nat_rd16(f.data() + 14 + 22) == 53) return f;
    return Bytes{};
  };
  CHECK(!to_far_5001(lane).empty());
  CHECK(to_far_5001(lane) == to_far_5001(general));
  for (WorkerContext* w : rig.workers) w->flows.reset();
}

TEST_CASE("routed firewall, two workers: a LAN frame of another worker's port is handed on receipt, tracked there",
          "[firewall][fast_lane]") {
  TwoWorkerNatRig rig;
  rig.lan_to_wan_ready();
  rig.snap->links[0].nat = false;  // a routed link: the LAN host's own address leaves, its session is tracked
  rig.snap->links[0].firewall = true;
  rig.cache_flow(1, rig.lan_packet(5001, kFar, 53));  // :5001 is worker 1's
  auto frame = [&] { return to_mbuf(rig.pool, PacketBuilder().ipv4(kHost, kFar).udp(5001, 53).payload(20).build()); };
  int left = 0;
  for (int round = 0; round < 2; round++) {
    rte_mbuf* burst[] = {frame()};
    CHECK(lan_fast_lane(*rig.workers[0], *rig.snap, burst, 1, 20) == 0);  // handed to worker 1, nothing left here
    rig.exchange();
    for (int q = 0; q < 2; q++)
      for (const Bytes& f : rig.sent(1, q)) {
        CHECK(q == 1);  // left from worker 1's queue
        CHECK(nat_rd32(f.data() + 14 + 12) == kHost);
        CHECK(nat_rd16(f.data() + 14 + 20) == 5001);
        CHECK(f[14 + 8] == 63);
        left++;
      }
  }
  CHECK(left == 2);
  CHECK(rig.workers[0]->counters.handoff_sent.get() == 2);
  CHECK(rig.workers[0]->nat->size() == 0);
  CHECK(rig.workers[1]->nat->size() == 1);               // the session made on the first frame (general path), ...
  CHECK(rig.workers[1]->counters.fast_lane.get() == 1);  // ... which lets the lane take the second
  CHECK(rig.workers[1]->counters.class_link[0][0].packets.get() == 2);
  for (WorkerContext* w : rig.workers) w->flows.reset();
}
