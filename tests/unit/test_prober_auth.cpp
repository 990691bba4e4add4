// STAMP authenticated mode on the edge's side: the policy key stamp_auth_key_file (read at load, errors at
// FILE:LINE:COLUMN) and the Prober, which sends 112-byte authenticated probes and takes no reply it cannot verify.
#include <catch2/catch.hpp>

#include <optional>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "control/health/prober.hpp"
#include "control/health/stamp_auth.hpp"
#include "control/policy/policy.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/probe_ids.hpp"
#include "dataplane/rx_timestamp.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/stamp_test_support.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const char* const kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// Two links probed by STAMP; the probing section names the key file, lte may override it (line 7).
std::string policy_text(const std::string& key_line, const std::string& lte_probe = "") {
  return "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"  // 1
         "probing:\n"                                                         // 2
         "  targets: [{address: 198.51.100.7, kind: stamp}]\n"                // 3
         "  " +
         key_line +
         "\n"                                                                                   // 4
         "links:\n"                                                                             // 5
         "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1}\n"  // 6
         "  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1" +
         lte_probe +
         "}\n"  // 7
         "classes: [{name: voip, links: [fiber, lte]}]\n";
}

// The single error a policy gets, checked for its place and reason.
void check_key_error(const KeyDir& d, const std::string& text, int line, int column, const std::string& part) {
  PolicyResult r = parse_policy(text, "t.yaml", d.dir.string());
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  INFO(r.errors[0].to_string());
  CHECK(r.errors[0].loc.line == line);
  CHECK(r.errors[0].loc.column == column);
  CHECK(r.errors[0].reason.find(part) != std::string::npos);
}

}  // namespace

TEST_CASE("policy: stamp_auth_key_file is read at load, relative to the policy, per link overridable",
          "[stamp_auth][policy]") {
  KeyDir d;
  d.write(std::string(kKeyHex) + "\n", 0600, "stamp.key");
  PolicyResult r = parse_policy(policy_text("stamp_auth_key_file: stamp.key", ", probe: {stamp_auth_key_file: \"\"}"),
                                "t.yaml", d.dir.string());
  INFO((r.errors.empty() ? "" : r.errors[0].to_string()));
  REQUIRE(r.ok());
  const ProbeSpec& fiber = r.policy->links[0].probe;
  REQUIRE(fiber.stamp_auth_key.size() == 32);
  CHECK(fiber.stamp_auth_key[31] == 0x1f);
  CHECK(fiber.stamp_auth_key_file == (d.dir / "stamp.key").string());
  CHECK(r.policy->links[1].probe.stamp_auth_key.empty());  // "" turns it off for lte
  CHECK(r.policy->links[1].probe.stamp_auth_key_file.empty());

  PolicyResult plain = parse_policy(policy_text("interval_ms: 20"), "t.yaml", d.dir.string());
  REQUIRE(plain.ok());
  CHECK(plain.policy->links[0].probe.stamp_auth_key.empty());  // default: unauthenticated
}

TEST_CASE("policy: a missing, short or world-readable key file is an error at the key's value",
          "[stamp_auth][policy]") {
  KeyDir d;
  d.write("00112233445566778899aabbccddee", 0600, "short.key");
  d.write(kKeyHex, 0644, "open.key");
  check_key_error(d, policy_text("stamp_auth_key_file: none.key"), 4, 24, "No such file");
  check_key_error(d, policy_text("stamp_auth_key_file: short.key"), 4, 24, "at least 16");
  check_key_error(d, policy_text("stamp_auth_key_file: open.key"), 4, 24, "every user");
  check_key_error(d, policy_text("interval_ms: 20", ", probe: {stamp_auth_key_file: none.key}"), 7, 110,
                  "link \"lte\" probe stamp_auth_key_file: key file");
}

namespace {

constexpr uint64_t kHz = 1'000'000'000;  // 1 TSC tick = 1 ns

// A Prober for the office skeleton with fiber probed by STAMP, and the probes it sent.
struct ProberRig {
  Policy policy = rig_office_skeleton();
  rte_mempool* pool = nullptr;
  rte_ether_addr macs[kMaxLinks] = {};
  std::vector<rte_mbuf*> sent;
  std::optional<Prober> prober;

  explicit ProberRig(const stamp::Key& key) {
    static int n = 0;
    pool = make_test_pool(("proberauth" + std::to_string(n++)).c_str(), 63);
    REQUIRE(pool != nullptr);
    std::string err;
    REQUIRE(register_rx_tsc_field(&err));
    policy.links[0].probe.enabled = true;
    policy.links[0].probe.targets = {ProbeTarget{ip4("198.51.100.7"), ProbeKind::stamp, 862}};
    policy.links[0].probe.stamp_auth_key = key;
    prober.emplace(policy, pool, macs, kHz, [this](rte_mbuf* m, uint8_t) { sent.push_back(m); });
  }
  ~ProberRig() {
    for (rte_mbuf* m : sent) rte_pktmbuf_free(m);
    prober.reset();
    rte_mempool_free(pool);
  }
  // Sends fiber's first probe at `now`; returns it.
  rte_mbuf* probe(uint64_t now) {
    std::array<Prober::LinkTx, kMaxLinks> tx{};
    tx[0].can_send = true;
    prober->tick(now, tx);
    REQUIRE(sent.size() == 1);
    return sent[0];
  }
  // Turns the probe into the reflector's answer (`payload_len` bytes: the RFC's authenticated reply when sealed
  // with a key, else the unauthenticated one), as a worker hands it over at `rx`.
  uint64_t answer(rte_mbuf* m, const stamp::Key* key, uint64_t rx, size_t flip_byte = SIZE_MAX) {
    uint8_t* udp = rte_pktmbuf_mtod_offset(m, uint8_t*, 34);
    stamp::ReflectorPacket rp;
    rp.sender_seq = 0;
    rp.seq = 0;
    size_t payload_len = stamp::kPacketSize;
    if (key) {
      stamp::encode_reflector_auth(rp, *key, udp + sizeof(rte_udp_hdr));
      payload_len = stamp::kAuthPacketSize;
    } else {
      stamp::encode_reflector(rp, udp + sizeof(rte_udp_hdr));
    }
    if (flip_byte < payload_len) udp[sizeof(rte_udp_hdr) + flip_byte] ^= 0x01;
    PacketMeta* meta = meta_of(m);
    meta->l3_offset = 14;
    meta->l4_offset = 34;
    meta->l3_len = static_cast<uint16_t>(sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + payload_len);
    meta->proto = IPPROTO_UDP;
    meta->dport = probe_port(0, 0);
    set_rx_tsc(m, rx);
    return prober->on_reply(m, 0);
  }
};

}  // namespace

TEST_CASE("prober, authenticated mode: 112-byte probes; forged, unauthenticated or corrupted replies are no replies",
          "[stamp_auth][prober]") {
  const stamp::Key key(32, 0x42);
  ProberRig r(key);
  const uint64_t t0 = 5 * kHz;
  rte_mbuf* m = r.probe(t0);
  const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, 14);
  REQUIRE(rte_be_to_cpu_16(ip->total_length) == sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + stamp::kAuthPacketSize);
  stamp::SenderPacket sp;
  CHECK(stamp::decode_sender_auth(rte_pktmbuf_mtod_offset(m, const uint8_t*, 42), stamp::kAuthPacketSize, key, &sp) ==
        stamp::AuthCheck::ok);

  const stamp::Key forged(32, 0x43);
  CHECK(r.answer(m, &forged, t0 + 1000) == 0);                 // another key
  CHECK(r.answer(m, nullptr, t0 + 1000) == 0);                 // an unauthenticated reflector's reply
  CHECK(r.answer(m, &key, t0 + 1000, /*flip_byte=*/48) == 0);  // sender seq changed in flight
  CHECK(r.prober->stats(0).stamp_auth_failed == 3);
  CHECK(r.prober->stats(0).replies == 0);
  // The probe is still waiting: the genuine reply is matched (the refused ones consumed nothing).
  CHECK(r.answer(m, &key, t0 + 2000) == t0 + 2000);
  CHECK(r.prober->stats(0).replies == 1);
  CHECK(r.prober->stats(0).stamp_auth_failed == 3);
}

TEST_CASE("prober, unauthenticated mode: 44-byte probes as before, 44-byte replies taken", "[stamp_auth][prober]") {
  ProberRig r({});
  const uint64_t t0 = 5 * kHz;
  rte_mbuf* m = r.probe(t0);
  const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, 14);
  CHECK(rte_be_to_cpu_16(ip->total_length) == sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + stamp::kPacketSize);
  CHECK(r.answer(m, nullptr, t0 + 1000) == t0 + 1000);
  CHECK(r.prober->stats(0).stamp_auth_failed == 0);
}
