// Probes through the overlay per link (issue 13): a path's health from its probes (sequences matched back, RTT,
// losses in a row, grace, SLA gates), the probes OverlayPaths seals and sends per link, the replies matched back to
// the link of the request, the planner judging overlay candidates on their paths, and the policy's inner_address.
#include <catch2/catch.hpp>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <cstring>
#include <vector>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <nlohmann/json.hpp>

#include "control/health/overlay_path_health.hpp"
#include "control/operations/metrics.hpp"
#include "control/operations/overlay_show.hpp"
#include "control/operations/stats.hpp"
#include "control/overlay/x25519.hpp"
#include "control/policy/policy.hpp"
#include "control/runtime/overlay_paths.hpp"
#include "control/steering/class_paths_plan.hpp"
#include "control/steering/planner.hpp"
#include "dataplane/overlay/overlay_probe.hpp"
#include "dataplane/overlay/transport.hpp"
#include "dataplane/packet_meta.hpp"
#include "tests/unit/overlay_policy_support.hpp"

using namespace wansteer;
namespace {

constexpr uint64_t kPathMs = 1'000'000;

HealthConfig path_config() {
  HealthConfig c;
  c.interval_ms = 100;
  c.reply_timeout_ms = 300;
  c.loss_window = 100;
  c.hold_down_ms = 1000;
  c.min_samples = 5;
  return c;
}

}  // namespace

TEST_CASE("overlay path health: replies matched by sequence, RTT, duplicates and strangers ignored",
          "[overlay_paths]") {
  OverlayPathHealth p(path_config());
  const uint64_t t0 = 1000 * kPathMs;
  CHECK_FALSE(p.on_reply(0, t0));  // nothing sent yet
  CHECK(p.on_sent(t0) == 0);
  CHECK(p.on_sent(t0 + 100 * kPathMs) == 1);
  CHECK(p.on_reply(0, t0 + 30 * kPathMs));
  CHECK_FALSE(p.on_reply(0, t0 + 31 * kPathMs));  // a duplicate counts once
  CHECK_FALSE(p.on_reply(7, t0 + 31 * kPathMs));  // never sent
  CHECK(p.on_reply(1, t0 + 140 * kPathMs));
  const LinkMetrics m = p.metrics();
  CHECK(m.probes_sent == 2);
  CHECK(m.replies == 2);
  CHECK(m.has_rtt);
  CHECK(m.rtt_ms == Approx(30 + (40 - 30) / 8.0));  // EWMA, alpha 1/8
  CHECK(m.jitter_ms == Approx(10 / 16.0));          // RFC 3550: J += (|D| - J) / 16
  CHECK(p.up());
}

TEST_CASE("overlay path health: the 16-bit wire sequence wraps", "[overlay_paths]") {
  OverlayPathHealth p(path_config());
  uint64_t t = 1000 * kPathMs;
  for (uint32_t i = 0; i < 65536 + 10; i++, t += kPathMs) {
    const uint16_t seq = p.on_sent(t);
    CHECK(seq == static_cast<uint16_t>(i));
    REQUIRE(p.on_reply(seq, t + kPathMs / 2));
  }
  CHECK(p.metrics().replies == 65546);
  CHECK(p.metrics().loss_pct == 0);
}

TEST_CASE("overlay path health: down after kDownAfterLosses lost in a row, grace and replies bring it back",
          "[overlay_paths]") {
  OverlayPathHealth p(path_config());
  uint64_t t = 1000 * kPathMs;
  // Just after the handshake: nothing answered yet, the path counts as up (grace) while probes are in flight.
  for (uint32_t i = 0; i < OverlayPathHealth::kDownAfterLosses - 1; i++, t += 100 * kPathMs) {
    p.on_sent(t);
    p.tick(t);
  }
  p.tick(t + 400 * kPathMs);  // all of them timed out: kDownAfterLosses - 1 lost
  CHECK(p.up());
  p.on_sent(t + 400 * kPathMs);
  p.tick(t + 800 * kPathMs);  // one more
  CHECK_FALSE(p.up());
  CHECK(p.metrics().probes_lost == OverlayPathHealth::kDownAfterLosses);
  p.grace();  // the link came back, or the session was renewed: up until probes are lost again
  CHECK(p.up());
  for (uint32_t i = 0; i < OverlayPathHealth::kDownAfterLosses; i++) p.on_sent(t + 900 * kPathMs);
  p.tick(t + 1300 * kPathMs);
  CHECK_FALSE(p.up());
  const uint16_t seq = p.on_sent(t + 1400 * kPathMs);
  CHECK(p.on_reply(seq, t + 1420 * kPathMs));
  CHECK(p.up());                     // one answer: the path reaches the hub again
  CHECK(p.metrics().loss_pct == 0);  // the outage was judged as one (down), not as loss against the SLA
}

TEST_CASE("overlay path health: SLA gates per class on the path's own figures", "[overlay_paths]") {
  OverlayPathHealth p(path_config());
  const std::vector<Sla> slas{Sla{}, Sla{100, 50, 1e9}};  // default: anything; voice-like: RTT <= 50 ms
  uint64_t t = 1000 * kPathMs;
  for (int i = 0; i < 10; i++, t += 100 * kPathMs) {
    p.on_reply(p.on_sent(t), t + 20 * kPathMs);
    p.judge(slas, t + 20 * kPathMs);
  }
  CHECK(p.sla_ok(0));
  CHECK(p.sla_ok(1));
  for (int i = 0; i < 30; i++, t += 100 * kPathMs) {
    p.on_reply(p.on_sent(t), t + 90 * kPathMs);  // the tunnel got slow
    p.judge(slas, t + 90 * kPathMs);
  }
  CHECK(p.sla_ok(0));
  CHECK_FALSE(p.sla_ok(1));
  CHECK(p.sla_ok(5));  // a class without a gate (yet) is not held back
}

namespace {

constexpr uint32_t kHubOuter = 0xcb007132;  // 203.0.113.50
constexpr uint32_t kHubInner = 0x0ac80001;  // 10.200.0.1
constexpr uint32_t kLanIp = 0xc0a80a01;     // 192.168.10.1

struct PathsRig {
  rte_mempool* pool =
      rte_pktmbuf_pool_create("ovpath_pool", 63, 0, kMbufPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  std::vector<std::pair<rte_mbuf*, uint8_t>> sent;
  OverlayPaths::SendFn send = [this](rte_mbuf* m, uint8_t pi) { sent.emplace_back(m, pi); };
  EventLog events;
  OverlayPaths paths{pool, send, events};
  Policy policy;
  DataplaneSnapshot snap;
  wg::TransportKeys keys;

  PathsRig() {
    REQUIRE(pool != nullptr);
    policy.overlay.enabled = true;
    policy.overlay.hub_inner_address = kHubInner;
    for (const char* name : {"fiber", "lte"}) {
      LinkSpec l;
      l.name = name;
      l.probe.interval_ms = 20;  // through the tunnel: every 100 ms at most
      policy.links.push_back(l);
    }
    ClassSpec voice;
    voice.name = "voip";
    voice.sla.max_rtt_ms = 50;
    policy.classes.push_back(voice);
    paths.configure(policy);
    snap.n_links = 2;
    snap.links[0].own_ip = 0x64400102;
    snap.links[1].own_ip = 0x64400202;
    for (auto& l : snap.links) l.gateway_resolved = true;
    snap.n_lan = 1;
    snap.lan[0].own_ip = kLanIp;
    snap.overlay.enabled = true;
    snap.overlay.hub_ip = kHubOuter;
    snap.overlay.hub_port = 51820;
    snap.overlay.local_port = 51820;
    keys.send_key.fill(7);
    keys.remote_index = 0x1234;
  }
  ~PathsRig() {
    for (auto& [m, pi] : sent) rte_pktmbuf_free(m);
    rte_mempool_free(pool);
  }

  // Opens a probe as the hub would and turns it into the reply a worker hands over (at its Ethernet header).
  rte_mbuf* answer(rte_mbuf* probe) {
    const auto* frame = rte_pktmbuf_mtod(probe, const uint8_t*);
    const uint8_t* msg = frame + kOverlayOuterLen;
    const size_t msg_len = probe->data_len - kOverlayOuterLen;
    uint8_t inner[64];
    size_t len = 0;
    wg::ReplayWindow replay;
    REQUIRE(wg::open_transport_with(aead, keys.send_key, 0x1234, replay, msg, msg_len, inner, sizeof inner, &len) ==
            wg::OpenResult::ok);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(inner);
    CHECK(rte_be_to_cpu_32(ip->src_addr) == kLanIp);
    CHECK(rte_be_to_cpu_32(ip->dst_addr) == kHubInner);
    CHECK(rte_ipv4_cksum(ip) == 0);
    const uint16_t total = rte_be_to_cpu_16(ip->total_length);
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
    CHECK(icmp->icmp_type == RTE_IP_ICMP_ECHO_REQUEST);
    CHECK(static_cast<uint16_t>(~rte_raw_cksum(icmp, total - sizeof *ip)) == 0);
    const uint32_t from = ip->src_addr;  // the hub answers: addresses swapped (checksums unchanged by a swap)
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = from;
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    auto* out = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(14 + total)));
    std::memset(out, 0, 14);
    std::memcpy(out + 14, inner, total);
    PacketMeta* meta = meta_of(m);
    std::memset(meta, 0, sizeof *meta);
    meta->l3 = static_cast<uint8_t>(L3::ipv4);
    meta->proto = IPPROTO_ICMP;
    meta->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    meta->l3_offset = 14;
    meta->l4_offset = 34;
    return m;
  }
  wg::ChaChaPoly aead;
};

uint16_t icmp_id_of(PathsRig& rig, rte_mbuf* reply) {
  (void)rig;
  const auto* icmp = rte_pktmbuf_mtod_offset(reply, const rte_icmp_hdr*, 34);
  return rte_be_to_cpu_16(icmp->icmp_ident);
}

}  // namespace

TEST_CASE("overlay paths: probes sealed per carrying link, replies matched to the link of the request",
          "[overlay_paths]") {
  PathsRig rig;
  const uint64_t t0 = 1000 * kPathMs;
  rig.paths.tick(t0, {true, true}, rig.snap, nullptr);
  CHECK(rig.sent.empty());  // no send key: nothing can be sealed
  rig.paths.tick(t0, {true, true}, rig.snap, &rig.keys);
  REQUIRE(rig.sent.size() == 1);
  CHECK(rig.sent[0].second == 2);  // lte first; fiber (the first link) follows, so the hub keeps answering fiber
  rig.paths.tick(t0 + 4 * kPathMs, {true, true}, rig.snap, &rig.keys);
  CHECK(rig.sent.size() == 1);  // no RTTs yet: fiber follows 5 ms later
  rig.paths.tick(t0 + 5 * kPathMs, {true, true}, rig.snap, &rig.keys);
  REQUIRE(rig.sent.size() == 2);
  CHECK(rig.sent[1].second == 1);
  CHECK(rig.keys.counter.used() == 2);  // each probe reserved a counter of its own from the shared one
  rig.paths.tick(t0 + 50 * kPathMs, {true, true}, rig.snap, &rig.keys);
  CHECK(rig.sent.size() == 2);  // not due: at most every 100 ms through the tunnel
  const auto* frame = rte_pktmbuf_mtod(rig.sent[1].first, const uint8_t*);
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(frame + kOverlayEthLen);
  CHECK(rte_be_to_cpu_32(ip->src_addr) == 0x64400102);
  CHECK(rte_be_to_cpu_32(ip->dst_addr) == kHubOuter);
  CHECK(frame[kOverlayOuterLen] == static_cast<uint8_t>(wg::MessageType::transport));

  rte_mbuf* fiber_reply = rig.answer(rig.sent[1].first);
  rte_mbuf* lte_reply = rig.answer(rig.sent[0].first);
  CHECK(icmp_id_of(rig, fiber_reply) == overlay_probe_icmp_id(0));
  CHECK(is_overlay_probe_reply(fiber_reply, meta_of(fiber_reply)));
  // Both replies may come back over one link (the hub's one endpoint): the identifier decides.
  rig.paths.on_reply(fiber_reply, t0 + 17 * kPathMs);  // sent at t0 + 5 ms
  rig.paths.on_reply(lte_reply, t0 + 45 * kPathMs);
  rte_pktmbuf_free(fiber_reply);
  rte_pktmbuf_free(lte_reply);
  const OverlayPathView fiber = rig.paths.view(0), lte = rig.paths.view(1);
  CHECK(fiber.probing);
  CHECK(fiber.up);
  CHECK(fiber.metrics.replies == 1);
  CHECK(fiber.metrics.rtt_ms == Approx(12));
  CHECK(lte.metrics.rtt_ms == Approx(45));
  // The next round: lte is 33 ms slower, so fiber's probe waits that and 5 ms more, to arrive after lte's.
  const uint64_t t1 = t0 + 100 * kPathMs;
  rig.paths.tick(t1, {true, true}, rig.snap, &rig.keys);
  REQUIRE(rig.sent.size() == 3);
  CHECK(rig.sent[2].second == 2);
  rig.paths.tick(t1 + 37 * kPathMs, {true, true}, rig.snap, &rig.keys);
  CHECK(rig.sent.size() == 3);
  rig.paths.tick(t1 + 38 * kPathMs, {true, true}, rig.snap, &rig.keys);
  REQUIRE(rig.sent.size() == 4);
  CHECK(rig.sent[3].second == 1);
}

TEST_CASE("overlay paths: a path that stops answering goes down while the other stays up", "[overlay_paths]") {
  PathsRig rig;
  uint64_t t = 1000 * kPathMs;
  for (int i = 0; i < 20; i++, t += 100 * kPathMs) {
    const size_t before = rig.sent.size();
    rig.paths.tick(t, {true, true}, rig.snap, &rig.keys);
    rig.paths.tick(t + 50 * kPathMs, {true, true}, rig.snap, &rig.keys);  // fiber's, held back at most 50 ms
    REQUIRE(rig.sent.size() == before + 2);
    rte_mbuf* lte_reply = rig.answer(rig.sent[before].first);  // fiber's probes are lost on the way
    rig.paths.on_reply(lte_reply, t + 40 * kPathMs);
    rte_pktmbuf_free(lte_reply);
  }
  CHECK_FALSE(rig.paths.up(0));
  CHECK(rig.paths.up(1));
  CHECK(rig.paths.view(0).metrics.loss_pct > 50);
  CHECK(rig.paths.view(1).metrics.loss_pct == 0);
  CHECK(rig.paths.sla_ok(0, 1));  // lte at 40 ms meets the 50 ms voice SLA
  const auto evs = rig.events.recent(5);
  REQUIRE(!evs.empty());
  CHECK(evs.back().kind == "overlay_path");
  CHECK(evs.back().link == "fiber");
  CHECK(evs.back().to == "down");
  // The link drops out and comes back: grace, the path counts as up until probes are lost again.
  rig.paths.tick(t, {false, true}, rig.snap, &rig.keys);
  rig.paths.tick(t + 1, {true, true}, rig.snap, &rig.keys);
  CHECK(rig.paths.up(0));
}

TEST_CASE("overlay paths: without a LAN address to probe from, nothing is judged by paths", "[overlay_paths]") {
  PathsRig rig;
  rig.snap.n_lan = 0;
  rig.paths.tick(1000 * kPathMs, {true, true}, rig.snap, &rig.keys);
  CHECK(rig.sent.empty());
  CHECK_FALSE(rig.paths.probing());
  CHECK(rig.paths.up(0));
}

TEST_CASE("planner: an overlay candidate is judged on its path's SLA when paths are probed", "[overlay_paths]") {
  ClassSpec app;
  app.name = "app";
  app.links = {0, 1};
  app.paths = {PathSpec{PathSpec::Kind::overlay, -1}, PathSpec{PathSpec::Kind::direct, -1}};
  PlanInput in;
  in.alive = {true, true};
  in.overlay_alive = {true, true};
  for (auto& row : in.sla_ok) row.fill(true);
  ClassLinkOrder o = order_class_links(app, 0, in);
  CHECK(o.overlay_mask == 0b11);  // not probed: the links' own verdicts, overlay first
  in.overlay_probed = true;
  in.overlay_sla_ok[0] = {false, true};  // the tunnel over fiber is out of SLA, the line itself is fine
  o = order_class_links(app, 0, in);
  CHECK(o.overlay_mask == 0b10);  // fiber: direct qualifies; lte: the overlay
  REQUIRE(o.n_ok == 2);
  CHECK(o.ok[0] == 1);  // overlay via lte comes before direct via fiber in the class's order
  CHECK(o.ok[1] == 0);
  ClassSpec only = app;
  only.paths = {PathSpec{PathSpec::Kind::overlay, -1}};
  o = order_class_links(only, 0, in);
  REQUIRE(o.n_ok == 1);
  CHECK(o.ok[0] == 1);    // only lte's tunnel meets the SLA
  CHECK(o.n_alive == 2);  // fiber's tunnel still answers: a fallback, never direct
  CHECK(o.overlay_mask == 0b11);
}

TEST_CASE("show overlay and metrics: per path loss, RTT, jitter, probes answered of sent", "[overlay_paths]") {
  Policy p;
  for (const char* name : {"fiber", "lte"}) {
    LinkSpec l;
    l.name = name;
    p.links.push_back(l);
  }
  p.overlay.enabled = true;
  StatsView v;
  v.policy = &p;
  OverlayView o;
  o.enabled = true;
  o.session = true;
  o.hub = "203.0.113.50:51820";
  o.paths[0].probing = o.paths[0].up = true;
  o.paths[0].metrics.rtt_ms = 12.5;
  o.paths[0].metrics.jitter_ms = 0.25;
  o.paths[0].metrics.has_rtt = true;
  o.paths[0].metrics.probes_sent = 100;
  o.paths[0].metrics.replies = 99;
  o.paths[0].metrics.loss_pct = 1;
  o.paths[1].probing = true;  // down, never answered
  o.paths[1].metrics.probes_sent = 20;
  o.paths[1].metrics.loss_pct = 100;
  const auto j = nlohmann::json::parse(overlay_json(v, o));
  const auto& fiber = j["links"]["fiber"]["path"];
  CHECK(fiber["up"] == true);
  CHECK(fiber["rtt_ms"] == 12.5);
  CHECK(fiber["jitter_ms"] == 0.25);
  CHECK(fiber["loss_pct"] == 1.0);
  CHECK(fiber["probes_sent"] == 100);
  CHECK(fiber["probes_answered"] == 99);
  CHECK(j["links"]["lte"]["path"]["up"] == false);
  CHECK(j["links"]["lte"]["path"]["rtt_ms"].is_null());
  const std::string t = overlay_text(v, o);
  INFO(t);
  CHECK(t.find("\nfiber        up       1.0%   12.5 ms     0.2 ms            99/100\n") != std::string::npos);
  CHECK(t.find("\nlte          down   100.0%         -     0.0 ms              0/20\n") != std::string::npos);
  o.paths[1].probing = false;
  CHECK(nlohmann::json::parse(overlay_json(v, o))["links"]["lte"]["path"].is_null());

  MetricsSnapshot s;
  s.overlay = MetricsSnapshot::Overlay{};
  s.overlay->paths = {{"fiber", true, 0.01, 0.0125, 0.00025}, {"lte", false, 1, 0, 0}};
  const std::string out = prometheus::TextSerializer().Serialize(metric_families(s));
  CHECK(out.find("wansteer_overlay_path_up{link=\"fiber\"} 1") != std::string::npos);
  CHECK(out.find("wansteer_overlay_path_up{link=\"lte\"} 0") != std::string::npos);
  CHECK(out.find("wansteer_overlay_path_loss_ratio{link=\"lte\"} 1") != std::string::npos);
  CHECK(out.find("wansteer_overlay_path_rtt_seconds{link=\"fiber\"} 0.0125") != std::string::npos);
  CHECK(out.find("wansteer_overlay_path_jitter_seconds{link=\"fiber\"} 0.00025") != std::string::npos);
}

TEST_CASE("overlay policy: hub inner_address, its default and its errors", "[overlay_paths][policy]") {
  test::OverlayKeyDir d;
  const auto text = [](const std::string& hub_extra) {
    return "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"
           "links:\n"
           "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1}\n"
           "  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1}\n"
           "overlay:\n  hub: {public_key: \"" +
           test::kOverlayHubKey + "\", endpoint: \"198.51.100.7:51820\"" + hub_extra +
           "}\n  private_key_file: wg.key\n";
  };
  auto r = parse_policy(text(""), "t.yaml", d.dir.string());
  REQUIRE(r.policy);
  CHECK(r.policy->overlay.hub_inner_address == kHubInner);  // what `wansteer overlay hub-config` writes
  r = parse_policy(text(", inner_address: 10.9.0.1/24"), "t.yaml", d.dir.string());
  REQUIRE(r.policy);
  CHECK(r.policy->overlay.hub_inner_address == 0x0a090001);
  r = parse_policy(text(", inner_address: 10.9.0.7"), "t.yaml", d.dir.string());
  REQUIRE(r.policy);
  CHECK(r.policy->overlay.hub_inner_address == 0x0a090007);
  for (const char* bad : {"10.9.0", "10.9.0.1/33", "hub", "0.0.0.0"}) {
    r = parse_policy(text(std::string(", inner_address: ") + bad), "t.yaml", d.dir.string());
    CHECK_FALSE(r.policy);
    REQUIRE(!r.errors.empty());
    CHECK_THAT(r.errors[0].to_string(), Catch::Contains("t.yaml:6:") && Catch::Contains("inner_address"));
  }
}
