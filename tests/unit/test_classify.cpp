// Unit tests for the rte_acl Classifier: each rule field, list expansion, first-match order, family separation,
// ports vs ICMP/fragments, build errors, and a randomized burst cross-check against a plain reference matcher.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "dataplane/classify.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/parse.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

constexpr uint8_t kDefault = 9;

PacketMeta meta4(uint8_t proto, const char* src, const char* dst, uint16_t sport = 0, uint16_t dport = 0,
                 uint8_t dscp = 0, uint16_t vlan = 0, uint8_t flags = 0) {
  PacketMeta m{};
  m.l3 = static_cast<uint8_t>(L3::ipv4);
  m.proto = proto;
  m.src = ip4_bytes16(ip4(src));
  m.dst = ip4_bytes16(ip4(dst));
  m.sport = sport;
  m.dport = dport;
  m.dscp = dscp;
  m.vlan = vlan;
  m.vlan_count = vlan ? 1 : 0;
  m.flags = flags;
  m.class_id = kNoClass;
  return m;
}

PacketMeta meta6(uint8_t proto, const char* src, const char* dst, uint16_t sport = 0, uint16_t dport = 0,
                 uint8_t dscp = 0, uint16_t vlan = 0, uint8_t flags = 0) {
  PacketMeta m = meta4(proto, "0.0.0.0", "0.0.0.0", sport, dport, dscp, vlan, flags);
  m.l3 = static_cast<uint8_t>(L3::ipv6);
  m.src = ip6(src);
  m.dst = ip6(dst);
  return m;
}

std::unique_ptr<Classifier> build(const std::vector<ClassRule>& rules) {
  std::string err;
  auto c = Classifier::build(rules, kDefault, &err);
  INFO(err);
  REQUIRE(c != nullptr);
  CHECK(err.empty());
  return c;
}

int cls(const Classifier& c, PacketMeta m) {
  PacketMeta* p = &m;
  c.classify_burst(&p, 1);
  return m.class_id;
}

ClassRule rule(uint8_t class_id) {
  ClassRule r;
  r.class_id = class_id;
  return r;
}
Prefix4 p4(const char* a, uint8_t len) { return Prefix4{ip4(a), len}; }
Prefix6 p6(const char* a, uint8_t len) { return Prefix6{ip6(a), len}; }

// Plain first-match reference with the semantics documented in rules.hpp.
bool in4(const std::vector<Prefix4>& l, const PacketMeta& m, bool src) {
  const auto& a = src ? m.src : m.dst;
  const uint32_t v = (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
  for (const auto& p : l) {
    const uint32_t mask = p.len == 0 ? 0 : ~0u << (32 - p.len);
    if ((v & mask) == (p.addr & mask)) return true;
  }
  return false;
}
bool in6(const std::vector<Prefix6>& l, const PacketMeta& m, bool src) {
  const auto& a = src ? m.src : m.dst;
  for (const auto& p : l) {
    bool ok = true;
    for (int bit = 0; bit < p.len && ok; ++bit) ok = ((a[bit / 8] ^ p.addr[bit / 8]) & (0x80 >> (bit % 8))) == 0;
    if (ok) return true;
  }
  return false;
}
int reference(const std::vector<ClassRule>& rules, const PacketMeta& m) {
  const bool v4 = m.l3 == uint8_t(L3::ipv4), v6 = m.l3 == uint8_t(L3::ipv6);
  if (!v4 && !v6) return kDefault;
  for (const ClassRule& r : rules) {
    if (r.proto >= 0 && r.proto != m.proto) continue;
    if (!r.dscp.empty() && std::find(r.dscp.begin(), r.dscp.end(), m.dscp) == r.dscp.end()) continue;
    if (r.vlan >= 0 && r.vlan != m.vlan) continue;
    if (!r.sport.any() || !r.dport.any()) {
      const bool has_ports = (m.proto == 6 || m.proto == 17) && !(m.flags & PacketMeta::kFlagLaterFragment);
      if (!has_ports || m.sport < r.sport.lo || m.sport > r.sport.hi || m.dport < r.dport.lo || m.dport > r.dport.hi)
        continue;
    }
    if (!r.src_any() && !(v4 ? in4(r.src4, m, true) : in6(r.src6, m, true))) continue;
    if (!r.dst_any() && !(v4 ? in4(r.dst4, m, false) : in6(r.dst6, m, false))) continue;
    return r.class_id;
  }
  return kDefault;
}

}  // namespace

TEST_CASE("classify: protocol", "[classify]") {
  ClassRule r = rule(1);
  r.proto = 17;
  auto c = build({r});
  CHECK(c->rule_count() == 2);  // one IPv4, one IPv6
  CHECK(c->default_class() == kDefault);
  CHECK(cls(*c, meta4(17, "1.2.3.4", "5.6.7.8", 1, 2)) == 1);
  CHECK(cls(*c, meta4(6, "1.2.3.4", "5.6.7.8", 1, 2)) == kDefault);
  CHECK(cls(*c, meta6(17, "::1", "::2", 1, 2)) == 1);
  CHECK(cls(*c, meta6(58, "::1", "::2")) == kDefault);
}

TEST_CASE("classify: dscp list expands into one ACL rule per value", "[classify]") {
  ClassRule r = rule(2);
  r.dscp = {46, 34};
  auto c = build({r});
  CHECK(c->rule_count() == 4);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 1, 2, 46)) == 2);
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 1, 2, 34)) == 2);
  CHECK(cls(*c, meta6(17, "::1", "::2", 1, 2, 46)) == 2);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 1, 2, 0)) == kDefault);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 1, 2, 47)) == kDefault);
  CHECK(cls(*c, meta6(17, "::1", "::2", 1, 2, 45)) == kDefault);
}

TEST_CASE("classify: source and destination port ranges (byte order included)", "[classify]") {
  ClassRule rs = rule(3);
  rs.sport = {1000, 2000};
  ClassRule rd = rule(4);
  rd.proto = 6;
  rd.dport = {256, 256};  // 0x0100: a byte-swapped key would match port 1 instead
  ClassRule rh = rule(5);
  rh.dport = {60000, 65535};
  auto c = build({rs, rd, rh});
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 999, 80)) == kDefault);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 1000, 80)) == 3);
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 2000, 80)) == 3);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 2001, 80)) == kDefault);
  CHECK(cls(*c, meta6(17, "::1", "::2", 1500, 80)) == 3);
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 5, 256)) == 4);
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 5, 1)) == kDefault);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 5, 256)) == kDefault);  // rule 4 is TCP only
  CHECK(cls(*c, meta6(6, "::1", "::2", 5, 256)) == 4);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 5, 60000)) == 5);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 5, 65535)) == 5);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 5, 59999)) == kDefault);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 5, 0x60ea)) == kDefault);  // 60000 byte-swapped
}

TEST_CASE("classify: IPv4 source and destination prefixes", "[classify]") {
  ClassRule r = rule(6);
  r.src4 = {p4("10.0.0.0", 8)};
  r.dst4 = {p4("192.168.1.0", 24), p4("203.0.113.7", 32)};
  auto c = build({r});
  CHECK(c->rule_count() == 2);  // 1 x 2, IPv4 only
  CHECK(cls(*c, meta4(6, "10.255.1.1", "192.168.1.200")) == 6);
  CHECK(cls(*c, meta4(6, "10.0.0.0", "203.0.113.7")) == 6);
  CHECK(cls(*c, meta4(6, "11.0.0.1", "192.168.1.200")) == kDefault);
  CHECK(cls(*c, meta4(6, "9.255.255.255", "192.168.1.200")) == kDefault);
  CHECK(cls(*c, meta4(6, "10.1.1.1", "192.168.2.1")) == kDefault);
  CHECK(cls(*c, meta4(6, "10.1.1.1", "203.0.113.8")) == kDefault);
  CHECK(cls(*c, meta4(6, "192.168.1.1", "10.1.1.1")) == kDefault);  // src/dst not swapped
}

TEST_CASE("classify: IPv6 prefixes", "[classify]") {
  ClassRule r = rule(7);
  r.src6 = {p6("2001:db8::", 32)};
  r.dst6 = {p6("2001:db8:0:1::", 64), p6("2001:db8:8000::", 33), p6("fd00::42", 128)};
  auto c = build({r});
  CHECK(c->rule_count() == 3);
  CHECK(cls(*c, meta6(17, "2001:db8:1234::1", "2001:db8:0:1:ffff::9")) == 7);
  CHECK(cls(*c, meta6(17, "2001:db8::1", "2001:db8:0:2::9")) == kDefault);
  CHECK(cls(*c, meta6(17, "2001:db9::1", "2001:db8:0:1::9")) == kDefault);
  CHECK(cls(*c, meta6(17, "2001:db8::1", "2001:db8:8000::1")) == 7);
  CHECK(cls(*c, meta6(17, "2001:db8::1", "2001:db8:ffff::1")) == 7);  // inside /33
  CHECK(cls(*c, meta6(17, "2001:db8::1", "2001:db8:7fff::1")) == kDefault);
  CHECK(cls(*c, meta6(17, "2001:db8::1", "fd00::42")) == 7);
  CHECK(cls(*c, meta6(17, "2001:db8::1", "fd00::43")) == kDefault);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2")) == kDefault);  // IPv6-only rule
}

TEST_CASE("classify: VLAN id and untagged", "[classify]") {
  ClassRule tagged = rule(8);
  tagged.vlan = 256;
  ClassRule untagged = rule(10);
  untagged.vlan = 0;
  untagged.proto = 17;
  auto c = build({tagged, untagged});
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 1, 2, 0, 256)) == 8);
  CHECK(cls(*c, meta6(6, "::1", "::2", 1, 2, 0, 256)) == 8);
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 1, 2, 0, 1)) == kDefault);
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 1, 2, 0, 257)) == kDefault);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 1, 2, 0, 0)) == 10);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 1, 2, 0, 5)) == kDefault);
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 1, 2, 0, 0)) == kDefault);
}

TEST_CASE("classify: a list of 500 destination prefixes", "[classify]") {
  ClassRule r = rule(11);
  for (int i = 0; i < 500; ++i) {
    const std::string a = "20." + std::to_string(i / 200) + "." + std::to_string(i % 200) + ".0";
    r.dst4.push_back(p4(a.c_str(), 24));
  }
  auto c = build({r});
  CHECK(c->rule_count() == 500);
  int hits = 0, misses = 0;
  for (int i = 0; i < 500; ++i) {
    const std::string in =
        "20." + std::to_string(i / 200) + "." + std::to_string(i % 200) + "." + std::to_string(i % 256);
    hits += cls(*c, meta4(6, "10.0.0.1", in.c_str())) == 11;
    const std::string out = "20." + std::to_string(3 + i / 200) + "." + std::to_string(i % 200) + ".1";
    misses += cls(*c, meta4(6, "10.0.0.1", out.c_str())) == kDefault;
  }
  CHECK(hits == 500);
  CHECK(misses == 500);
  CHECK(cls(*c, meta4(6, "10.0.0.1", "20.2.100.1")) == kDefault);  // 20.2.100 is index 500: not in the list
  CHECK(cls(*c, meta4(6, "10.0.0.1", "20.2.99.1")) == 11);
}

TEST_CASE("classify: first matching rule in policy order wins", "[classify]") {
  ClassRule udp = rule(1);
  udp.proto = 17;
  ClassRule dns = rule(2);
  dns.dport = {53, 53};
  dns.dst4 = {p4("8.8.8.0", 24)};
  const PacketMeta q = meta4(17, "10.0.0.1", "8.8.8.8", 4000, 53);
  CHECK(cls(*build({udp, dns}), q) == 1);
  CHECK(cls(*build({dns, udp}), q) == 2);
  auto c = build({dns, udp});
  CHECK(cls(*c, meta4(17, "10.0.0.1", "8.8.4.4", 4000, 53)) == 1);  // only the second rule matches
  CHECK(cls(*c, meta4(6, "10.0.0.1", "8.8.8.8", 4000, 53)) == 2);
  // Expanded lists keep the rule's priority: a later element must not lose to a later rule.
  ClassRule list = rule(3);
  list.dscp = {10, 20, 30};
  ClassRule catchall = rule(4);
  CHECK(cls(*build({list, catchall}), meta4(6, "1.1.1.1", "2.2.2.2", 1, 2, 30)) == 3);
  CHECK(cls(*build({catchall, list}), meta4(6, "1.1.1.1", "2.2.2.2", 1, 2, 30)) == 4);
}

TEST_CASE("classify: unmatched traffic, ARP and empty policies get the default class", "[classify]") {
  auto empty = build({});
  CHECK(empty->rule_count() == 0);
  CHECK(cls(*empty, meta4(6, "1.1.1.1", "2.2.2.2", 1, 2)) == kDefault);
  CHECK(cls(*empty, meta6(6, "::1", "::2", 1, 2)) == kDefault);
  ClassRule any = rule(1);
  auto c = build({any});
  PacketMeta arp = meta4(0, "10.0.0.1", "10.0.0.2");
  arp.l3 = static_cast<uint8_t>(L3::arp);
  CHECK(cls(*c, arp) == kDefault);
  CHECK(cls(*c, meta4(99, "1.1.1.1", "2.2.2.2")) == 1);
}

TEST_CASE("classify: address families stay apart", "[classify]") {
  ClassRule only4 = rule(1);
  only4.src4 = {p4("0.0.0.0", 0)};
  ClassRule only6 = rule(2);
  only6.dst6 = {p6("::", 0)};
  auto c = build({only4, only6});
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2")) == 1);
  CHECK(cls(*c, meta6(6, "::1", "::2")) == 2);
  auto c4 = build({only4});
  CHECK(cls(*c4, meta6(6, "::1", "::2")) == kDefault);
  auto c6 = build({only6});
  CHECK(cls(*c6, meta4(6, "1.1.1.1", "2.2.2.2")) == kDefault);
}

TEST_CASE("classify: port rules never match ICMP or later fragments", "[classify]") {
  ClassRule low = rule(1);
  low.dport = {0, 1023};
  ClassRule icmp_ports = rule(2);
  icmp_ports.proto = 1;
  icmp_ports.sport = {0, 0};
  ClassRule udp = rule(3);
  udp.proto = 17;
  auto c = build({low, icmp_ports, udp});
  CHECK(cls(*c, meta4(1, "1.1.1.1", "2.2.2.2")) == kDefault);
  CHECK(cls(*c, meta6(58, "::1", "::2")) == kDefault);
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 5, 0)) == 1);
  CHECK(cls(*c, meta6(6, "::1", "::2", 5, 1023)) == 1);
  constexpr uint8_t later = PacketMeta::kFlagFragment | PacketMeta::kFlagLaterFragment;
  // Later fragments carry no ports: they skip port rules and fall through to port-less ones.
  CHECK(cls(*c, meta4(17, "1.1.1.1", "2.2.2.2", 0, 0, 0, 0, later)) == 3);
  CHECK(cls(*c, meta6(17, "::1", "::2", 0, 0, 0, 0, later)) == 3);
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 0, 0, 0, 0, later)) == kDefault);
  // A first fragment has its ports.
  CHECK(cls(*c, meta4(6, "1.1.1.1", "2.2.2.2", 9, 80, 0, 0, PacketMeta::kFlagFragment)) == 1);
}

TEST_CASE("classify: build errors come back as values", "[classify]") {
  std::string err;
  ClassRule bad = rule(kMaxClasses);
  CHECK(Classifier::build({bad}, 0, &err) == nullptr);
  CHECK(err.find("class") != std::string::npos);
  err.clear();
  ClassRule big = rule(1);
  for (int i = 0; i < 400; ++i) {
    big.src4.push_back(Prefix4{0x0a000000u + (uint32_t(i) << 8), 24});
    big.dst4.push_back(Prefix4{0x14000000u + (uint32_t(i) << 8), 24});
  }
  CHECK(Classifier::build({big}, 0, &err) == nullptr);  // 160000 IPv4 ACL rules after expansion
  CHECK(err.find("too many") != std::string::npos);
  err.clear();
  ClassRule dscp = rule(1);
  dscp.dscp = {64};
  CHECK(Classifier::build({dscp}, 0, &err) == nullptr);
  CHECK(!err.empty());
}

TEST_CASE("classify: classifiers coexist across reloads", "[classify]") {
  ClassRule a = rule(1);
  a.proto = 6;
  ClassRule b = rule(2);
  b.proto = 6;
  auto c1 = build({a});
  auto c2 = build({b});
  CHECK(cls(*c1, meta4(6, "1.1.1.1", "2.2.2.2")) == 1);
  CHECK(cls(*c2, meta4(6, "1.1.1.1", "2.2.2.2")) == 2);
  c1.reset();
  CHECK(cls(*c2, meta6(6, "::1", "::2")) == 2);
  for (int i = 0; i < 20; ++i) c1 = build({a});  // repeated reloads: names never clash
  CHECK(cls(*c1, meta4(6, "1.1.1.1", "2.2.2.2")) == 1);
}

TEST_CASE("classify: random rules and mixed bursts agree with the reference matcher", "[classify]") {
  std::mt19937 rng(4242);
  const char* v4pool[] = {"10.0.0.0", "10.1.0.0", "192.168.1.0", "172.16.0.0", "8.8.8.0", "0.0.0.0"};
  const char* v6pool[] = {"2001:db8::", "2001:db8:1::", "fd00::", "2606:4700::", "::"};
  auto rand_port_range = [&] {
    switch (rng() % 4) {
      case 0: {
        uint16_t lo = rng() % 2000;
        return PortRange{lo, uint16_t(lo + rng() % 500)};
      }
      case 1: {
        uint16_t p = rng() % 1024;
        return PortRange{p, p};
      }
      default:
        return PortRange{};
    }
  };
  for (int round = 0; round < 20; ++round) {
    std::vector<ClassRule> rules;
    const int n_rules = 1 + rng() % 12;
    for (int i = 0; i < n_rules; ++i) {
      ClassRule r = rule(static_cast<uint8_t>(rng() % 8));
      const int protos[] = {-1, -1, 6, 17, 1, 58};
      r.proto = static_cast<int16_t>(protos[rng() % 6]);
      if (rng() % 3 == 0) r.dscp = {uint8_t(rng() % 4 * 8), uint8_t(46)};
      if (rng() % 2) r.sport = rand_port_range();
      if (rng() % 2) r.dport = rand_port_range();
      if (rng() % 3 == 0) r.vlan = static_cast<int32_t>(rng() % 3);
      if (rng() % 3 == 0) r.src4.push_back(p4(v4pool[rng() % 6], uint8_t(8 + rng() % 17)));
      if (rng() % 3 == 0) r.dst4.push_back(p4(v4pool[rng() % 6], uint8_t(rng() % 25)));
      if (rng() % 3 == 0) r.src6.push_back(p6(v6pool[rng() % 5], uint8_t(16 + rng() % 49)));
      if (rng() % 3 == 0) r.dst6.push_back(p6(v6pool[rng() % 5], uint8_t(rng() % 65)));
      rules.push_back(std::move(r));
    }
    auto c = build(rules);
    for (int b = 0; b < 20; ++b) {
      PacketMeta metas[kBurst];
      PacketMeta* ptrs[kBurst];
      for (uint16_t i = 0; i < kBurst; ++i) {
        const uint8_t protos[] = {6, 17, 1, 58, 47};
        const uint8_t proto = protos[rng() % 5];
        const bool ports = proto == 6 || proto == 17;
        const uint16_t sp = ports ? uint16_t(rng() % 2600) : 0, dp = ports ? uint16_t(rng() % 2600) : 0;
        const uint8_t dscp = rng() % 2 ? 46 : uint8_t(rng() % 4 * 8);
        const uint16_t vlan = static_cast<uint16_t>(rng() % 3);
        const int kind = rng() % 5;
        if (kind < 2) {
          std::string s = std::string(v4pool[rng() % 6]);
          s = s.substr(0, s.rfind('.')) + "." + std::to_string(rng() % 256);
          std::string d = std::string(v4pool[rng() % 6]);
          d = d.substr(0, d.rfind('.')) + "." + std::to_string(rng() % 256);
          metas[i] = meta4(proto, s.c_str(), d.c_str(), sp, dp, dscp, vlan);
        } else if (kind < 4) {
          std::string s = std::string(v6pool[rng() % 5]) + std::to_string(rng() % 9999);
          std::string d = std::string(v6pool[rng() % 5]) + std::to_string(rng() % 9999);
          metas[i] = meta6(proto, s.c_str(), d.c_str(), sp, dp, dscp, vlan);
        } else {
          metas[i] = meta4(0, "10.0.0.1", "10.0.0.2");
          metas[i].l3 = static_cast<uint8_t>(L3::arp);
        }
        if (ports && rng() % 8 == 0) {  // a later fragment: ports unknown
          metas[i].flags = PacketMeta::kFlagFragment | PacketMeta::kFlagLaterFragment;
          metas[i].sport = metas[i].dport = 0;
        }
        ptrs[i] = &metas[i];
      }
      c->classify_burst(ptrs, kBurst);
      int mismatches = 0;
      for (uint16_t i = 0; i < kBurst; ++i) mismatches += metas[i].class_id != reference(rules, metas[i]);
      INFO("round " << round << " burst " << b);
      REQUIRE(mismatches == 0);
    }
  }
}

TEST_CASE("classify: parsed frames end to end", "[classify]") {
  static rte_mempool* pool = make_test_pool("classify_test_pool", 255);
  REQUIRE(pool != nullptr);
  ClassRule voip = rule(1);
  voip.proto = 17;
  voip.dscp = {46};
  voip.dport = {10000, 20000};
  ClassRule m365 = rule(2);
  m365.dst4 = {p4("52.96.0.0", 14)};
  m365.dst6 = {p6("2603:1000::", 24)};
  ClassRule guest = rule(3);
  guest.vlan = 30;
  auto c = build({voip, m365, guest});
  const std::vector<std::pair<Bytes, int>> cases = {
      {PacketBuilder().ipv4(ip4("10.0.0.5"), ip4("1.2.3.4"), {.dscp = 46}).udp(5000, 15000).build(), 1},
      {PacketBuilder().ipv4(ip4("10.0.0.5"), ip4("1.2.3.4"), {.dscp = 0}).udp(5000, 15000).build(), kDefault},
      {PacketBuilder().ipv4(ip4("10.0.0.5"), ip4("52.97.1.1")).tcp(40000, 443).build(), 2},
      {PacketBuilder().ipv6(ip6("fd00::5"), ip6("2603:10a6::1")).tcp(40000, 443).build(), 2},
      {PacketBuilder().vlan(30).ipv4(ip4("10.30.0.5"), ip4("1.2.3.4")).icmp(8).build(), 3},
      {PacketBuilder().vlan(31).ipv4(ip4("10.30.0.5"), ip4("1.2.3.4")).icmp(8).build(), kDefault},
      {PacketBuilder().arp(1, ip4("10.0.0.5"), ip4("10.0.0.1")).build(), kDefault},
  };
  rte_mbuf* pkts[kBurst];
  for (size_t i = 0; i < cases.size(); ++i) {
    pkts[i] = to_mbuf(pool, cases[i].first);
    REQUIRE(pkts[i] != nullptr);
  }
  auto counters = std::make_unique<WorkerCounters>();
  const uint16_t n = parse_burst(pkts, static_cast<uint16_t>(cases.size()), 0, *counters);
  REQUIRE(n == cases.size());
  PacketMeta* metas[kBurst];
  for (uint16_t i = 0; i < n; ++i) metas[i] = meta_of(pkts[i]);
  c->classify_burst(metas, n);
  for (uint16_t i = 0; i < n; ++i) {
    INFO("case " << i);
    CHECK(int(metas[i]->class_id) == cases[i].second);
    rte_pktmbuf_free(pkts[i]);
  }
}
