// The overlay's worker stages on bursts of real mbufs: what overlay_encap_burst seals for one side,
// overlay_decap_burst opens on the other (mirrored configurations, one keypair's two directions), byte for byte;
// every refused datagram counted under its reason, and the pool back to its start count.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/overlay/overlay_decap.hpp"
#include "dataplane/overlay/overlay_encap.hpp"
#include "dataplane/overlay/transport.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

// Two ends of one tunnel: the edge (a link at 203.0.113.2, port 51821) and the hub (198.51.100.7:51820).
struct StageSide {
  OverlayConfig ov;
  LinkConfig link;
  std::unique_ptr<OverlayCore> core = std::make_unique<OverlayCore>();
  WorkerCounters counters;
};

struct StageRig {
  rte_mempool* pool = make_test_pool("ovstage_pool", 511);
  StageSide edge, hub;
  std::shared_ptr<wg::TransportKeys> edge_keys = std::make_shared<wg::TransportKeys>();
  std::shared_ptr<wg::TransportKeys> hub_keys = std::make_shared<wg::TransportKeys>();
  unsigned start_in_use = 0;

  StageRig() {
    for (size_t i = 0; i < wg::kKeySize; i++) {
      edge_keys->send_key[i] = hub_keys->recv_key[i] = static_cast<uint8_t>(i + 1);
      edge_keys->recv_key[i] = hub_keys->send_key[i] = static_cast<uint8_t>(0x80 + i);
    }
    edge_keys->local_index = hub_keys->remote_index = 0x11111111;
    edge_keys->remote_index = hub_keys->local_index = 0x22222222;
    edge_keys->serial = 1;
    hub_keys->serial = 2;
    mirror(edge, ip4("203.0.113.2"), 51821, ip4("198.51.100.7"), 51820, edge_keys);
    mirror(hub, ip4("198.51.100.7"), 51820, ip4("203.0.113.2"), 51821, hub_keys);
    start_in_use = pool ? rte_mempool_in_use_count(pool) : 0;
  }
  ~StageRig() { rte_mempool_free(pool); }
  StageRig(const StageRig&) = delete;
  StageRig& operator=(const StageRig&) = delete;

  static void mirror(StageSide& s, uint32_t own, uint16_t own_port, uint32_t peer, uint16_t peer_port,
                     const std::shared_ptr<wg::TransportKeys>& k) {
    s.ov.enabled = true;
    s.ov.hub_ip = peer;
    s.ov.hub_port = peer_port;
    s.ov.local_port = own_port;
    s.ov.inner_mtu = 1420;
    s.ov.keys.send = k;
    s.ov.keys.receive[wg::PeerKeysView::kCurrent] = k;
    s.link.own_ip = own;
    s.link.gateway_resolved = true;
    s.link.mtu = 1500;
    s.link.own_mac.addr_bytes[5] = static_cast<uint8_t>(own);
    s.link.gateway_mac.addr_bytes[5] = 0xfe;
  }

  // An inner IPv4/UDP packet as the LAN stage would hand it over: data at the IP header.
  rte_mbuf* inner(uint16_t payload, uint16_t sport = 5000, bool df = false, size_t trailer = 0) const {
    Ipv4Opts o;
    o.df = df;
    o.ecn = 3;  // CE: the outer header carries ECT(0)
    Bytes f = PacketBuilder()
                  .ipv4(ip4("10.0.0.5"), ip4("93.184.216.34"), o)
                  .udp(sport, 53)
                  .payload(payload)
                  .trailer(trailer)
                  .build();
    rte_mbuf* m = to_mbuf(pool, f);
    if (m != nullptr) rte_pktmbuf_adj(m, 14);
    return m;
  }
  static Bytes bytes(const rte_mbuf* m) {
    const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
    return Bytes(d, d + m->data_len);
  }
  uint64_t drops(const StageSide& s, DropReason r) const { return s.counters.drop[static_cast<uint32_t>(r)].get(); }
  bool pool_back() const { return rte_mempool_in_use_count(pool) == start_in_use; }
};

// Seals n packets at the edge; the sealed frames in out.
uint16_t stage_seal(StageRig& rig, rte_mbuf** pkts, uint16_t n, rte_mbuf** out) {
  rte_mbuf* big[kBurst];
  const OverlayEncapResult r =
      overlay_encap_burst(*rig.edge.core, rig.edge.ov, rig.edge.link, pkts, n, out, big, rig.edge.counters, 0);
  REQUIRE(r.too_big == 0);
  return r.sealed;
}

void free_all(rte_mbuf** m, uint16_t n) {
  for (uint16_t i = 0; i < n; i++) rte_pktmbuf_free(m[i]);
}

}  // namespace

TEST_CASE("overlay stage: a sealed burst opens on the other side byte for byte", "[overlay_stage]") {
  StageRig rig;
  REQUIRE(rig.pool != nullptr);
  REQUIRE(rig.edge.core->valid());
  rte_mbuf* pkts[kBurst];
  std::vector<Bytes> sent;
  const uint16_t sizes[] = {0, 1, 15, 16, 17, 100, 1372, 1392};  // 1392 + 28 = the inner MTU
  uint16_t n = 0;
  for (uint16_t size : sizes) {
    pkts[n] = rig.inner(size, static_cast<uint16_t>(6000 + n), n % 2 == 0, n == 0 ? 18 : 0);  // with a trailer
    REQUIRE(pkts[n] != nullptr);
    const Bytes b = StageRig::bytes(pkts[n]);
    sent.emplace_back(b.begin(), b.end() - (n == 0 ? 18 : 0));
    n++;
  }
  rte_mbuf* wire[kBurst];
  REQUIRE(stage_seal(rig, pkts, n, wire) == n);
  CHECK(rig.edge.counters.overlay_sealed.get() == n);

  // The outer headers: Ethernet to the gateway, IPv4 to the hub (checksum, TTL, DF clear, ECN), UDP with checksum 0.
  for (uint16_t i = 0; i < n; i++) {
    const auto* ip = rte_pktmbuf_mtod_offset(wire[i], const rte_ipv4_hdr*, kOverlayEthLen);
    const auto* udp = rte_pktmbuf_mtod_offset(wire[i], const rte_udp_hdr*, kOverlayEthLen + kOverlayIpLen);
    CHECK(rte_pktmbuf_mtod(wire[i], const rte_ether_hdr*)->dst_addr.addr_bytes[5] == 0xfe);
    CHECK(rte_be_to_cpu_32(ip->dst_addr) == ip4("198.51.100.7"));
    CHECK(rte_be_to_cpu_32(ip->src_addr) == ip4("203.0.113.2"));
    CHECK(rte_raw_cksum(ip, kOverlayIpLen) == 0xffff);
    CHECK(ip->time_to_live == 64);
    CHECK(ip->fragment_offset == 0);
    CHECK(ip->type_of_service == 2);
    CHECK(rte_be_to_cpu_16(ip->total_length) == wire[i]->data_len - kOverlayEthLen);
    CHECK(rte_be_to_cpu_16(udp->src_port) == 51821);
    CHECK(rte_be_to_cpu_16(udp->dst_port) == 51820);
    CHECK(udp->dgram_cksum == 0);
    CHECK(wire[i]->data_len == kOverlayOuterLen + wg::sealed_size(sent[i].size()));
    CHECK(wire[i]->data_len <= 14 + 1500);
  }

  rte_mbuf* inner[kBurst];
  rte_mbuf* hs[kBurst];
  const OverlayDecapResult r =
      overlay_decap_burst(*rig.hub.core, rig.hub.ov, rig.hub.link, wire, n, inner, hs, rig.hub.counters, 1);
  REQUIRE(r.inner == n);
  CHECK(r.handshakes == 0);
  for (uint16_t i = 0; i < n; i++) CHECK(StageRig::bytes(inner[i]) == sent[i]);
  CHECK(rig.hub.counters.overlay_opened.get() == n);
  CHECK(rig.hub_keys->opened.load());
  CHECK_FALSE(rig.edge_keys->opened.load());
  free_all(inner, r.inner);
  CHECK(rig.pool_back());
}

namespace {

// One sealed datagram from the edge, ready for the hub's decap.
rte_mbuf* sealed_one(StageRig& rig, uint16_t payload = 64) {
  rte_mbuf* in[1] = {rig.inner(payload)};
  rte_mbuf* out[1] = {nullptr};
  REQUIRE(in[0] != nullptr);
  REQUIRE(stage_seal(rig, in, 1, out) == 1);
  return out[0];
}

// A datagram from the edge's address and port carrying msg (a handshake message or a hand-sealed transport one).
rte_mbuf* stage_datagram(StageRig& rig, const Bytes& msg) {
  rte_mbuf* m = rte_pktmbuf_alloc(rig.pool);
  REQUIRE(m != nullptr);
  auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(kOverlayOuterLen + msg.size())));
  overlay_encap_headers(rig.edge.ov, rig.edge.link, d, static_cast<uint16_t>(msg.size()), 1, 0);
  std::copy(msg.begin(), msg.end(), d + kOverlayOuterLen);
  return m;
}

// Opens one datagram at the hub; what came out of it.
OverlayDecapResult open_at_hub(StageRig& rig, rte_mbuf* m, rte_mbuf** inner, rte_mbuf** hs) {
  rte_mbuf* in[1] = {m};
  return overlay_decap_burst(*rig.hub.core, rig.hub.ov, rig.hub.link, in, 1, inner, hs, rig.hub.counters, 1);
}

}  // namespace

TEST_CASE("overlay stage: tampered, replayed, misaddressed and truncated datagrams are counted drops",
          "[overlay_stage]") {
  StageRig rig;
  REQUIRE(rig.pool != nullptr);
  rte_mbuf* inner[1];
  rte_mbuf* hs[1];
  auto expect_drop = [&](rte_mbuf* m, DropReason why) {
    const uint64_t before = rig.drops(rig.hub, why);
    const OverlayDecapResult r = open_at_hub(rig, m, inner, hs);
    CHECK(r.inner == 0);
    CHECK(r.handshakes == 0);
    CHECK(rig.drops(rig.hub, why) == before + 1);
  };

  rte_mbuf* m = sealed_one(rig);
  rte_pktmbuf_mtod(m, uint8_t*)[m->data_len - 20] ^= 1;  // a ciphertext byte
  expect_drop(m, DropReason::overlay_bad_tag);

  // A message sealed with another key (same receiver index, so it reaches the right keypair): a bad tag.
  rig.edge_keys->send_key[0] ^= 0x5a;
  m = sealed_one(rig);
  rig.edge_keys->send_key[0] ^= 0x5a;
  expect_drop(m, DropReason::overlay_bad_tag);

  // A message kept back while 9000 newer ones were sent, then replayed: behind the window, a replay.
  rte_mbuf* old = sealed_one(rig);
  rig.edge_keys->counter.next.fetch_add(9000);
  m = sealed_one(rig);
  REQUIRE(open_at_hub(rig, m, inner, hs).inner == 1);
  rte_pktmbuf_free(inner[0]);
  expect_drop(old, DropReason::overlay_replayed);

  m = sealed_one(rig);
  rte_pktmbuf_mtod_offset(m, uint8_t*, kOverlayOuterLen + wg::transport::kReceiver)[0] ^= 0xff;
  expect_drop(m, DropReason::overlay_unknown_index);

  m = sealed_one(rig);
  rte_pktmbuf_trim(m, 10);  // shorter than its IPv4 total length
  expect_drop(m, DropReason::overlay_malformed);
  expect_drop(stage_datagram(rig, Bytes{4, 0, 0, 0, 0x22, 0x22, 0x22, 0x22, 1, 0, 0}), DropReason::overlay_malformed);
  expect_drop(stage_datagram(rig, Bytes{9, 0, 0, 0, 0, 0, 0, 0}), DropReason::overlay_malformed);

  m = sealed_one(rig);
  auto* udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr*, kOverlayEthLen + kOverlayIpLen);
  udp->src_port = rte_cpu_to_be_16(4444);  // not the hub's port
  expect_drop(m, DropReason::overlay_unknown_peer);

  rig.hub.ov.allowed[0] = {ip4("10.99.0.0"), ip4("255.255.0.0")};  // a peer limited to LAN prefixes: 10.0.0.5 is
  rig.hub.ov.allowed[1] = {ip4("10.98.0.0"), ip4("255.255.0.0")};  // outside both
  rig.hub.ov.n_allowed = 2;
  expect_drop(sealed_one(rig), DropReason::overlay_source_not_allowed);

  CHECK(rig.hub.counters.port[1].drops.get() == 9);
  CHECK(rig.hub.counters.overlay_opened.get() == 1);
  CHECK(rig.hub.counters.overlay_duplicates_discarded.get() == 0);
  CHECK(rig.pool_back());
}

TEST_CASE("overlay stage: the second copy of a message is discarded and counted, not dropped as a replay",
          "[overlay_stage]") {
  StageRig rig;
  REQUIRE(rig.pool != nullptr);
  rte_mbuf* inner[2];
  rte_mbuf* hs[2];
  // duplicate: sends one sealed message over two links; both copies reach this core (one worker).
  rte_mbuf* m = sealed_one(rig);
  rte_mbuf* copy = rte_pktmbuf_copy(m, rig.pool, 0, UINT32_MAX);
  REQUIRE(copy != nullptr);
  rte_mbuf* forged = rte_pktmbuf_copy(m, rig.pool, 0, UINT32_MAX);
  REQUIRE(forged != nullptr);
  rte_pktmbuf_mtod(forged, uint8_t*)[forged->data_len - 20] ^= 1;
  REQUIRE(open_at_hub(rig, m, inner, hs).inner == 1);
  rte_pktmbuf_free(inner[0]);

  // A forged copy with the taken counter is authenticated first: a bad tag (an alarm), not a quiet duplicate.
  CHECK(open_at_hub(rig, forged, inner, hs).inner == 0);
  CHECK(rig.drops(rig.hub, DropReason::overlay_bad_tag) == 1);
  CHECK(rig.hub.counters.overlay_duplicates_discarded.get() == 0);

  const OverlayDecapResult r = open_at_hub(rig, copy, inner, hs);
  CHECK(r.inner == 0);
  CHECK(r.handshakes == 0);
  CHECK(rig.hub.counters.overlay_duplicates_discarded.get() == 1);
  CHECK(rig.drops(rig.hub, DropReason::overlay_replayed) == 0);
  CHECK(rig.hub.counters.port[1].drops.get() == 1);  // the forged copy only
  CHECK(rig.hub.counters.overlay_opened.get() == 1);

  // A forged message with a fresh counter did not burn it: the genuine one still opens.
  m = sealed_one(rig);
  copy = rte_pktmbuf_copy(m, rig.pool, 0, UINT32_MAX);
  REQUIRE(copy != nullptr);
  rte_pktmbuf_mtod(m, uint8_t*)[m->data_len - 20] ^= 1;
  CHECK(open_at_hub(rig, m, inner, hs).inner == 0);
  REQUIRE(open_at_hub(rig, copy, inner, hs).inner == 1);
  rte_pktmbuf_free(inner[0]);
  CHECK(rig.drops(rig.hub, DropReason::overlay_bad_tag) == 2);
  CHECK(rig.pool_back());
}

TEST_CASE("overlay stage: keepalives are counted and freed, handshakes set aside untouched", "[overlay_stage]") {
  StageRig rig;
  REQUIRE(rig.pool != nullptr);
  wg::ChaChaPoly aead;
  Bytes keepalive(wg::sealed_size(0));
  size_t len = 0;
  REQUIRE(wg::seal_transport_at(aead, rig.edge_keys->send_key, rig.edge_keys->remote_index, 77, nullptr, 0,
                                keepalive.data(), keepalive.size(), &len) == wg::SealResult::ok);
  Bytes initiation(wg::kInitiationSize, 0x5a);
  wg::put_header(initiation.data(), wg::MessageType::initiation);
  rte_mbuf* pkts[2] = {stage_datagram(rig, keepalive), stage_datagram(rig, initiation)};
  const Bytes handshake_frame = StageRig::bytes(pkts[1]);
  rte_mbuf* inner[2];
  rte_mbuf* hs[2];
  const OverlayDecapResult r =
      overlay_decap_burst(*rig.hub.core, rig.hub.ov, rig.hub.link, pkts, 2, inner, hs, rig.hub.counters, 1);
  CHECK(r.inner == 0);
  REQUIRE(r.handshakes == 1);
  CHECK(StageRig::bytes(hs[0]) == handshake_frame);
  CHECK(rig.hub.counters.overlay_keepalives_in.get() == 1);
  CHECK(rig.hub.counters.overlay_handshakes_in.get() == 1);
  CHECK(rig.hub.counters.port[1].drops.get() == 0);
  CHECK(rig.hub_keys->opened.load());  // a keepalive confirms a keypair as well as data does
  rte_pktmbuf_free(hs[0]);
  CHECK(rig.pool_back());
}

TEST_CASE("overlay stage: sealing refuses what it cannot send, oversize packets go back untouched", "[overlay_stage]") {
  StageRig rig;
  REQUIRE(rig.pool != nullptr);
  StageSide& e = rig.edge;
  rte_mbuf* out[4];
  rte_mbuf* big[4];
  auto encap = [&](rte_mbuf* m) {
    rte_mbuf* in[1] = {m};
    return overlay_encap_burst(*e.core, e.ov, e.link, in, 1, out, big, e.counters, 0);
  };

  e.link.mtu = 1400;              // overlay path MTU 1328
  rte_mbuf* m = rig.inner(1301);  // 1329 bytes of IPv4
  const Bytes original = StageRig::bytes(m);
  OverlayEncapResult r = encap(m);
  REQUIRE(r.too_big == 1);
  CHECK(r.sealed == 0);
  CHECK(StageRig::bytes(big[0]) == original);
  rte_pktmbuf_free(big[0]);
  r = encap(rig.inner(1300));
  REQUIRE(r.sealed == 1);
  CHECK(out[0]->data_len == kOverlayOuterLen + wg::sealed_size(1328));
  CHECK(out[0]->data_len - kOverlayEthLen <= 1400);
  rte_pktmbuf_free(out[0]);

  m = rig.inner(10);  // no headroom left for the outer headers
  const Bytes ip = StageRig::bytes(m);
  m->data_off = 0;
  std::copy(ip.begin(), ip.end(), rte_pktmbuf_mtod(m, uint8_t*));
  CHECK(encap(m).sealed == 0);
  CHECK(rig.drops(e, DropReason::overlay_no_room) == 1);

  m = rig.inner(10);
  rte_pktmbuf_mtod(m, uint8_t*)[0] = 0x60;  // IPv6 version: not carried
  encap(m);
  CHECK(rig.drops(e, DropReason::overlay_inner_malformed) == 1);

  e.link.gateway_resolved = false;
  encap(rig.inner(10));
  CHECK(rig.drops(e, DropReason::no_neighbor) == 1);
  e.link.gateway_resolved = true;

  rig.edge_keys->counter.next = wg::kRejectAfterMessages;
  r = encap(rig.inner(10));
  CHECK(r.want_keys);
  CHECK(rig.drops(e, DropReason::overlay_key_exhausted) == 1);

  e.ov.keys.send = nullptr;
  r = encap(rig.inner(10));
  CHECK(r.want_keys);
  CHECK(r.sealed == 0);
  CHECK(rig.drops(e, DropReason::overlay_no_key) == 1);
  CHECK(e.counters.port[0].drops.get() == 5);
  CHECK(e.counters.overlay_sealed.get() == 1);
  CHECK(rig.pool_back());
}

TEST_CASE("overlay stage: a site peer roams, its last authenticated source recorded per core", "[overlay_stage]") {
  StageRig rig;
  REQUIRE(rig.pool != nullptr);
  rig.hub.ov.site = true;  // the "hub" side plays a site: any outer source its key authenticates
  rig.hub.ov.allowed[0] = {ip4("10.0.0.0"), ip4("255.255.255.0")};
  rte_mbuf* inner[1];
  rte_mbuf* hs[1];
  rte_mbuf* m = sealed_one(rig);
  auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, kOverlayEthLen);
  ip->src_addr = rte_cpu_to_be_32(ip4("198.51.100.99"));  // the peer's other link
  ip->hdr_checksum = 0;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  CHECK(rig.hub.core->seen.bursts.load() == 0);
  REQUIRE(open_at_hub(rig, m, inner, hs).inner == 1);
  rte_pktmbuf_free(inner[0]);
  CHECK(rig.hub.core->seen.bursts.load() == 1);
  const uint64_t w = rig.hub.core->seen.source.load();
  CHECK(peer_source_ip(w) == ip4("198.51.100.99"));
  CHECK(peer_source_port(w) == 51821);
  CHECK(peer_source_link(w) == 0);  // port index 1: link 0

  m = sealed_one(rig);  // a forged copy that does not authenticate is not a new endpoint
  rte_pktmbuf_mtod(m, uint8_t*)[m->data_len - 20] ^= 1;
  CHECK(open_at_hub(rig, m, inner, hs).inner == 0);
  CHECK(rig.hub.core->seen.bursts.load() == 1);

  m = sealed_one(rig);  // the peer duplicates: the second copy is discarded (counted), its source kept as a copy's
  rte_mbuf* copy = rte_pktmbuf_copy(m, rig.pool, 0, UINT32_MAX);
  REQUIRE(copy != nullptr);
  REQUIRE(open_at_hub(rig, m, inner, hs).inner == 1);
  rte_pktmbuf_free(inner[0]);
  const uint64_t replayed = rig.drops(rig.hub, DropReason::overlay_replayed);
  const uint64_t discarded = rig.hub.counters.overlay_duplicates_discarded.get();
  CHECK(open_at_hub(rig, copy, inner, hs).inner == 0);
  CHECK(rig.hub.counters.overlay_duplicates_discarded.get() == discarded + 1);
  CHECK(rig.drops(rig.hub, DropReason::overlay_replayed) == replayed);  // a copy is not a drop
  CHECK(rig.hub.core->seen.bursts.load() == 2);
  CHECK(rig.hub.core->seen.copy_bursts.load() == 1);
  CHECK(peer_source_ip(rig.hub.core->seen.copy_source.load()) == ip4("203.0.113.2"));
  CHECK(rig.pool_back());
}
