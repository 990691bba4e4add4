// OverlayControl (control/runtime/overlay_control.hpp): the first initiation leaves on the first alive link in the
// overlay's outer headers, a response from the hub (a WgSession standing in for it) completes the session and its
// keys are published, and without an alive link nothing is sent.
#include <catch2/catch.hpp>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <cstring>
#include <vector>

#include "control/runtime/overlay_control.hpp"
#include "dataplane/overlay/overlay_encap.hpp"
#include "dataplane/overlay/wg_wire.hpp"
#include "dataplane/packet_meta.hpp"
#include "overlay_policy_support.hpp"
#include "wg_session_rig.hpp"

using namespace wansteer;
namespace {

constexpr uint32_t kHubIp = 0xcb007132;  // 203.0.113.50
constexpr uint32_t kFiberIp = 0x64400102, kLteIp = 0x64400202;
constexpr uint64_t kHz = 1'000'000'000;  // ticks are nanoseconds here

struct OverlayRig {
  test::OverlayKeyDir keys;
  wg::Identity hub_id = test::session_identity();
  Policy policy;
  DataplaneSnapshot snap;
  EventLog events;
  rte_mempool* pool =
      rte_pktmbuf_pool_create("ovctl_pool", 63, 0, kMbufPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  std::vector<std::pair<rte_mbuf*, uint8_t>> sent;
  OverlayControl ctl{pool, [this](rte_mbuf* m, uint8_t pi) { sent.emplace_back(m, pi); }, events, kHz};

  OverlayRig() {
    REQUIRE(pool != nullptr);
    policy.overlay.enabled = true;
    policy.overlay.private_key_file = (keys.dir / "wg.key").string();
    policy.overlay.public_key = wg::public_key_of(keys.key);
    policy.overlay.hub_public_key = hub_id.public_key;
    policy.overlay.hub_address = kHubIp;
    policy.overlay.hub_port = 51820;
    for (const char* name : {"fiber", "lte"}) {
      LinkSpec l;
      l.name = name;
      policy.links.push_back(l);
    }
    snap.n_links = 2;
    snap.links[0].own_ip = kFiberIp;
    snap.links[1].own_ip = kLteIp;
    for (auto& l : snap.links) l.gateway_resolved = true;
    snap.overlay.enabled = true;
    snap.overlay.hub_ip = kHubIp;
    snap.overlay.hub_port = 51820;
    snap.overlay.local_port = 51820;
    std::string err;
    REQUIRE(ctl.configure(policy, &err));
  }
  ~OverlayRig() {
    for (auto& [m, pi] : sent) rte_pktmbuf_free(m);
    rte_mempool_free(pool);
  }
};

}  // namespace

TEST_CASE("OverlayControl: initiation out of the first alive link, the hub's response publishes keys",
          "[overlay_control]") {
  OverlayRig rig;
  const uint64_t t0 = test::kSessionStartNs;
  rig.ctl.tick(t0, {false, false}, rig.snap);
  CHECK(rig.sent.empty());  // no link can carry it: nothing is made, nothing is lost

  rig.ctl.tick(t0 + 1'000'000, {false, true}, rig.snap);  // fiber down, lte alive
  REQUIRE(rig.sent.size() == 1);
  auto [m, pi] = rig.sent.back();
  CHECK(pi == 2);  // port index of link 1 (lte)
  const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(frame + kOverlayEthLen);
  const auto* udp = reinterpret_cast<const rte_udp_hdr*>(frame + kOverlayEthLen + kOverlayIpLen);
  CHECK(rte_be_to_cpu_32(ip->src_addr) == kLteIp);
  CHECK(rte_be_to_cpu_32(ip->dst_addr) == kHubIp);
  CHECK(rte_be_to_cpu_16(udp->dst_port) == 51820);
  CHECK(rte_ipv4_cksum(ip) == 0);  // a valid header checksum folds to 0 once included
  REQUIRE(m->data_len == kOverlayOuterLen + wg::kInitiationSize);
  CHECK(frame[kOverlayOuterLen] == static_cast<uint8_t>(wg::MessageType::initiation));
  CHECK(rig.ctl.keys()->send == nullptr);
  CHECK(rig.ctl.alive_over({true, true}) == std::array<bool, kMaxLinks>{});

  // The hub answers (a WgSession with its key, our public key as its peer).
  test::SessionSide hub;
  hub.id = rig.hub_id;
  std::deque<test::WireMessage> to_site;
  hub.out = &to_site;
  hub.start(rig.policy.overlay.public_key);
  uint8_t reply[wg::kSessionOutSize];
  size_t reply_len = 0;
  const uint8_t from[6] = {100, 64, 2, 2, 0xca, 0x6c};
  hub.session->handle_handshake(frame + kOverlayOuterLen, wg::kInitiationSize, wg::Bytes(from, 6), t0, reply,
                                &reply_len);
  REQUIRE(reply_len == wg::kResponseSize);

  // The response arrives on lte as a frame from the hub, as a worker hands it over.
  rte_mbuf* resp = rte_pktmbuf_alloc(rig.pool);
  auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(resp, static_cast<uint16_t>(kOverlayOuterLen + reply_len)));
  LinkConfig as_hub = rig.snap.links[1];
  as_hub.own_ip = kHubIp;
  OverlayConfig back = rig.snap.overlay;
  back.hub_ip = kLteIp;
  overlay_encap_headers(back, as_hub, f, static_cast<uint16_t>(reply_len), 1, 0);
  std::memcpy(f + kOverlayOuterLen, reply, reply_len);
  const uint64_t gen = rig.ctl.generation();
  rig.ctl.on_handshake(resp, 1, rig.snap, t0 + 2'000'000);
  REQUIRE(rig.ctl.keys()->send != nullptr);
  CHECK(rig.ctl.generation() != gen);
  CHECK(rig.ctl.alive_over({false, true}) == std::array<bool, kMaxLinks>{false, true});
  // The keepalive that confirms the session to the hub (after which it sends with the new keys) waits until the
  // workers have them: it leaves with the first tick that sees them published, on the link the response came on.
  CHECK(rig.sent.size() == 1);
  rig.ctl.tick(t0 + 2'500'000, {true, true}, rig.snap);
  CHECK(rig.sent.size() == 1);
  rig.snap.overlay.keys = *rig.ctl.keys();
  rig.ctl.tick(t0 + 2'600'000, {true, true}, rig.snap);
  REQUIRE(rig.sent.size() == 2);
  CHECK(rig.sent.back().second == 2);
  CHECK(rte_pktmbuf_mtod(rig.sent.back().first, const uint8_t*)[kOverlayOuterLen] ==
        static_cast<uint8_t>(wg::MessageType::transport));
  const OverlayView v = rig.ctl.view(t0 + 3'000'000);
  CHECK(v.session);
  CHECK(v.last_link == 1);
  CHECK(v.counters.handshakes_completed == 1);
  const auto evs = rig.events.recent(5);
  REQUIRE(!evs.empty());
  CHECK(evs.back().kind == "overlay");
  CHECK(evs.back().to == "up");
  CHECK(evs.back().link == "lte");
}

TEST_CASE("OverlayControl: a policy without an overlay has no session; a bad key file is refused",
          "[overlay_control]") {
  OverlayRig rig;
  std::string err;
  Policy none = rig.policy;
  none.overlay.enabled = false;
  REQUIRE(rig.ctl.configure(none, &err));
  CHECK_FALSE(rig.ctl.enabled());
  CHECK(rig.ctl.keys() == nullptr);
  Policy bad = rig.policy;
  bad.overlay.private_key_file = (rig.keys.dir / "missing.key").string();
  CHECK_FALSE(rig.ctl.configure(bad, &err));
  CHECK(err.find("missing.key") != std::string::npos);
}
