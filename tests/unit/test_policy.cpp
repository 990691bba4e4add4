// Unit tests for the policy loader: valid policies compile to the expected values, and every kind of mistake
// is reported at its exact FILE:LINE:COLUMN. Also loads the shipped example policies.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "control/policy/policy.hpp"

using namespace wansteer;
namespace fs = std::filesystem;

namespace {

// A valid policy whose line numbers the error tests below rely on (line N of the text = index N-1).
const std::vector<std::string> kBase = {
    "name: t",                         // 1
    "lan:",                            // 2
    "  device: net_null0",             // 3
    "  subnets:",                      // 4
    "    - address: 192.168.10.1/24",  // 5
    "    - address: 192.168.20.1/24",  // 6
    "      vlan: 20",                  // 7
    "links:",                          // 8
    "  - name: fiber",                 // 9
    "    device: net_null1",           // 10
    "    address: 100.64.1.2/30",      // 11
    "    gateway: 100.64.1.1",         // 12
    "  - name: lte",                   // 13
    "    device: net_null2",           // 14
    "    address: 100.64.2.2/30",      // 15
    "    gateway: 100.64.2.1",         // 16
    "classes:",                        // 17
    "  - name: voip",                  // 18
    "    links: [fiber, lte]",         // 19
    "rules:",                          // 20
    "  - class: voip",                 // 21
    "    dscp: 46",                    // 22
};

// kBase with some 1-based lines replaced (a replacement may hold several lines, or none to delete the line).
std::string base_with(const std::map<int, std::string>& replace = {}, const std::string& append = "") {
  std::string out;
  for (size_t i = 0; i < kBase.size(); ++i) {
    auto r = replace.find(static_cast<int>(i + 1));
    if (r == replace.end())
      out += kBase[i] + "\n";
    else if (!r->second.empty())
      out += r->second + "\n";
  }
  return out + append;
}

std::vector<PolicyError> errors_of(const std::string& text, const std::string& base_dir = ".") {
  auto r = parse_policy(text, "t.yaml", base_dir);
  REQUIRE_FALSE(r.ok());
  return r.errors;
}

std::string dump(const std::vector<PolicyError>& errs) {
  std::string s;
  for (const auto& e : errs) s += e.to_string() + "\n";
  return s;
}

// Checks there is exactly one error, where it is, and that its reason says what went wrong.
void check_single_error(const std::string& text, int line, int column, const std::string& reason_part) {
  auto errs = errors_of(text);
  INFO(dump(errs));
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].loc.file == "t.yaml");
  CHECK(errs[0].loc.line == line);
  CHECK(errs[0].loc.column == column);
  CHECK(errs[0].reason.find(reason_part) != std::string::npos);
}

// A scratch directory removed when the test ends.
struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("wansteer-policy-test-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path / "prefixes");
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& rel, const std::string& text) const { std::ofstream(path / rel) << text; }
};

uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

bool covers(const std::vector<Prefix4>& list, uint32_t ip) {
  for (const auto& p : list) {
    uint32_t m = p.len == 0 ? 0 : ~uint32_t{0} << (32 - p.len);
    if ((ip & m) == p.addr) return true;
  }
  return false;
}

// The source tree's policies/ folder. Meson passes __FILE__ relative to the build directory (../tests/unit/...),
// so a relative __FILE__ is tried from the working directory and from each folder above the test binary.
fs::path policies_dir() {
  const fs::path src(__FILE__);
  std::vector<fs::path> bases{fs::current_path()};
  std::error_code ec;
  for (fs::path d = fs::read_symlink("/proc/self/exe", ec).parent_path(); !ec && d.has_relative_path();
       d = d.parent_path())
    bases.push_back(d);
  for (const auto& b : bases) {
    fs::path candidate = (src.is_absolute() ? src : b / src).parent_path() / ".." / ".." / "policies";
    if (fs::exists(candidate / "office.yaml", ec)) return candidate.lexically_normal();
  }
  return src.parent_path() / ".." / ".." / "policies";
}

}  // namespace

TEST_CASE("a valid policy compiles to the expected values", "[policy]") {
  TempDir dir;
  dir.write("prefixes/saas.txt",
            "# SaaS ranges\n"
            "\n"
            "52.112.0.0/14   # teams\n"
            "  2603:1063::/38\n"
            "13.107.6.152/31\n");
  const std::string text =
      "name: branch\n"
      "lan:\n"
      "  device: \"net_af_packet0,iface=lan0\"\n"
      "  subnets:\n"
      "    - address: 192.168.10.1/24\n"
      "    - address: 192.168.20.1/24\n"
      "      vlan: 20\n"
      "  neighbors:\n"
      "    - {ip: 192.168.10.10, mac: \"02:00:00:00:10:10\"}\n"
      "links:\n"
      "  - name: fiber\n"
      "    device: net_null1\n"
      "    address: 100.64.1.2/30\n"
      "    gateway: 100.64.1.1\n"
      "    gateway_mac: \"02:00:00:00:01:01\"\n"
      "    weight: 3\n"
      "  - name: lte\n"
      "    device: net_null2\n"
      "    address: 100.64.2.2/30\n"
      "    gateway: 100.64.2.1\n"
      "    role: backup\n"
      "classes:\n"
      "  - name: guest\n"
      "    links: [fiber]\n"
      "  - name: voip\n"
      "    links: [lte, fiber]\n"
      "    mode: balance\n"
      "  - name: saas\n"
      "    links: fiber\n"
      "rules:\n"
      "  - class: guest\n"
      "    vlan: 20\n"
      "    ingress_subnet: 192.168.20.0/24\n"
      "  - class: voip\n"
      "    dscp: [46, 34]\n"
      "    protocol: udp\n"
      "    src_ports: [1000, 2000]\n"
      "    dst_ports: [\"5060-5061\", 5004]\n"
      "    src: [192.168.10.0/24, \"2001:db8::/32\", 10.1.1.1]\n"
      "  - class: saas\n"
      "    dst_prefix_lists: [prefixes/saas.txt]\n"
      "    dst: 198.51.100.0/24\n"
      "  - class: default\n"
      "    protocol: 47\n"
      "flow_cache:\n"
      "  size: 2048\n"
      "  idle_timeout_s: 120\n";
  auto r = parse_policy(text, "branch.yaml", dir.path.string());
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  const Policy& p = *r.policy;
  CHECK(p.name == "branch");
  CHECK(p.path == "branch.yaml");

  REQUIRE(p.lan.subnets.size() == 2);
  CHECK(p.lan.device == "net_af_packet0,iface=lan0");
  CHECK(p.lan.subnets[0].address.addr == ip4(192, 168, 10, 1));
  CHECK(p.lan.subnets[0].address.len == 24);
  CHECK(p.lan.subnets[0].vlan == 0);
  CHECK(p.lan.subnets[1].vlan == 20);
  CHECK_FALSE(p.lan.subnets[0].routed);  // strict reverse-path check unless the policy says otherwise
  REQUIRE(p.lan.neighbors.size() == 1);
  CHECK(p.lan.neighbors[0].ip == ip4(192, 168, 10, 10));
  CHECK(p.lan.neighbors[0].mac == MacAddress{2, 0, 0, 0, 0x10, 0x10});

  REQUIRE(p.links.size() == 2);
  CHECK(p.links[0].name == "fiber");
  CHECK(p.links[0].device == "net_null1");
  CHECK(p.links[0].address.addr == ip4(100, 64, 1, 2));
  CHECK(p.links[0].address.network() == ip4(100, 64, 1, 0));
  CHECK(p.links[0].gateway == ip4(100, 64, 1, 1));
  REQUIRE(p.links[0].gateway_mac.has_value());
  CHECK(*p.links[0].gateway_mac == MacAddress{2, 0, 0, 0, 1, 1});
  CHECK(p.links[0].role == LinkRole::primary);
  CHECK(p.links[0].weight == 3);
  CHECK(p.links[0].loc.line == 11);
  CHECK(p.links[0].loc.column == 5);
  CHECK_FALSE(p.links[1].gateway_mac.has_value());
  CHECK(p.links[1].role == LinkRole::backup);
  CHECK(p.links[1].weight == 1);

  // default was not declared: appended last with every link in order, priority.
  REQUIRE(p.classes.size() == 4);
  CHECK(p.class_index("guest") == 0);
  CHECK(p.class_index("voip") == 1);
  CHECK(p.class_index("saas") == 2);
  CHECK(p.class_index("default") == 3);
  CHECK(p.class_index("nope") == -1);
  CHECK(p.link_index("lte") == 1);
  CHECK(p.link_index("nope") == -1);
  CHECK(p.default_class == 3);
  CHECK(p.classes[0].links == std::vector<uint8_t>{0});
  CHECK(p.classes[1].links == std::vector<uint8_t>{1, 0});
  CHECK(p.classes[1].mode == SteerMode::balance);
  CHECK(p.classes[2].links == std::vector<uint8_t>{0});
  CHECK(p.classes[2].mode == SteerMode::priority);
  CHECK(p.classes[3].links == std::vector<uint8_t>{0, 1});
  CHECK(p.classes[3].mode == SteerMode::priority);

  // 1 guest rule + 2x2 voip port combinations + 1 saas + 1 default.
  REQUIRE(p.rules.size() == 7);
  const ClassRule& g = p.rules[0];
  CHECK(g.class_id == 0);
  CHECK(g.vlan == 20);
  CHECK(g.proto == -1);
  CHECK(g.dscp.empty());
  CHECK(g.sport.any());
  CHECK(g.dport.any());
  REQUIRE(g.src4.size() == 1);
  CHECK(g.src4[0].addr == ip4(192, 168, 20, 0));
  CHECK(g.src4[0].len == 24);
  CHECK(g.dst_any());

  const std::pair<uint16_t, uint16_t> sp[4] = {{1000, 1000}, {1000, 1000}, {2000, 2000}, {2000, 2000}};
  const std::pair<uint16_t, uint16_t> dp[4] = {{5060, 5061}, {5004, 5004}, {5060, 5061}, {5004, 5004}};
  for (int i = 0; i < 4; ++i) {
    const ClassRule& v = p.rules[1 + i];
    INFO("voip rule " << i);
    CHECK(v.class_id == 1);
    CHECK(v.proto == 17);
    CHECK(v.dscp == std::vector<uint8_t>{46, 34});
    CHECK(v.sport.lo == sp[i].first);
    CHECK(v.sport.hi == sp[i].second);
    CHECK(v.dport.lo == dp[i].first);
    CHECK(v.dport.hi == dp[i].second);
    CHECK(v.vlan == -1);
    REQUIRE(v.src4.size() == 2);
    CHECK(v.src4[1].addr == ip4(10, 1, 1, 1));
    CHECK(v.src4[1].len == 32);
    REQUIRE(v.src6.size() == 1);
    CHECK(v.src6[0].len == 32);
    CHECK(v.src6[0].addr[0] == 0x20);
    CHECK(v.src6[0].addr[1] == 0x01);
    CHECK(v.src6[0].addr[2] == 0x0d);
    CHECK(v.src6[0].addr[3] == 0xb8);
  }

  const ClassRule& s = p.rules[5];
  CHECK(s.class_id == 2);
  CHECK(s.src_any());
  // dst: the inline prefix first, then the list's prefixes in file order.
  REQUIRE(s.dst4.size() == 3);
  CHECK(s.dst4[0].addr == ip4(198, 51, 100, 0));
  CHECK(s.dst4[1].addr == ip4(52, 112, 0, 0));
  CHECK(s.dst4[1].len == 14);
  CHECK(s.dst4[2].addr == ip4(13, 107, 6, 152));
  CHECK(s.dst4[2].len == 31);
  REQUIRE(s.dst6.size() == 1);
  CHECK(s.dst6[0].len == 38);
  CHECK(s.dst6[0].addr[0] == 0x26);
  CHECK(s.dst6[0].addr[1] == 0x03);
  CHECK(s.dst6[0].addr[2] == 0x10);
  CHECK(s.dst6[0].addr[3] == 0x63);
  CHECK(s.matches_v4());
  CHECK(s.matches_v6());

  CHECK(p.rules[6].class_id == 3);
  CHECK(p.rules[6].proto == 47);

  CHECK(p.flow_cache.size == 2048);
  CHECK(p.flow_cache.idle_timeout_s == 120);
}

TEST_CASE("the base policy used by the error tests is valid, with defaults applied", "[policy]") {
  auto r = parse_policy(base_with(), "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  CHECK(r.policy->classes.size() == 2);
  CHECK(r.policy->default_class == 1);
  CHECK(r.policy->flow_cache.size == 65536);
  CHECK(r.policy->flow_cache.idle_timeout_s == 30);
  REQUIRE(r.policy->rules.size() == 1);
  CHECK(r.policy->rules[0].dscp == std::vector<uint8_t>{46});
  CHECK(r.policy->rules[0].proto == -1);
}

TEST_CASE("an explicit default class keeps its position and links", "[policy]") {
  auto r = parse_policy(base_with({{19,
                                    "    links: [fiber, lte]\n  - name: default\n    links: [lte]\n"
                                    "  - name: bulk\n    links: [fiber]"}}),
                        "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  REQUIRE(r.policy->classes.size() == 3);
  CHECK(r.policy->default_class == 1);
  CHECK(r.policy->classes[1].links == std::vector<uint8_t>{1});
}

TEST_CASE("sections left empty mean none: no rules, only the default class", "[policy]") {
  std::map<int, std::string> drop{{18, ""}, {19, ""}, {21, ""}, {22, ""}};
  auto r = parse_policy(base_with(drop), "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  CHECK(r.policy->rules.empty());
  REQUIRE(r.policy->classes.size() == 1);
  CHECK(r.policy->classes[0].name == "default");
  CHECK(r.policy->classes[0].links == std::vector<uint8_t>{0, 1});
  CHECK(r.policy->default_class == 0);
}

TEST_CASE("PolicyError prints FILE:LINE:COLUMN: reason", "[policy]") {
  PolicyError e{SourceLoc{"office.yaml", 14, 12}, "boom"};
  CHECK(e.to_string() == "office.yaml:14:12: boom");
}

TEST_CASE("each kind of mistake is reported at its line and column", "[policy]") {
  SECTION("gateway outside the link subnet") {
    check_single_error(base_with({{16, "    gateway: 10.0.0.1"}}), 16, 14,
                       "link \"lte\": gateway 10.0.0.1 is not inside 100.64.2.2/30");
  }
  SECTION("gateway equal to the own address") {
    check_single_error(base_with({{12, "    gateway: 100.64.1.2"}}), 12, 14, "is the edge's own address");
  }
  SECTION("link address without prefix length") {
    check_single_error(base_with({{11, "    address: 100.64.1.2"}}), 11, 14, "needs the subnet's prefix length");
  }
  SECTION("LAN address that is the network address") {
    check_single_error(base_with({{5, "    - address: 192.168.10.0/24"}}), 5, 16, "network address");
  }
  SECTION("overlapping LAN subnets") {
    check_single_error(base_with({{6, "    - address: 192.168.10.7/16"}}), 6, 16, "overlaps");
  }
  SECTION("VLAN out of range") {
    check_single_error(base_with({{7, "      vlan: 4095"}}), 7, 13, "out of range: allowed 0 to 4094");
  }
  SECTION("routed: true is read") {
    auto r = parse_policy(base_with({{7, "      vlan: 20\n      routed: true"}}), "t.yaml", ".");
    REQUIRE(r.ok());
    CHECK(r.policy->lan.subnets[1].routed);
  }
  SECTION("routed not a boolean") {
    check_single_error(base_with({{7, "      vlan: 20\n      routed: maybe"}}), 8, 15,
                       "lan subnet 2 routed must be true or false");
  }
  SECTION("DSCP out of range") { check_single_error(base_with({{22, "    dscp: [46, 64]"}}), 22, 16, "dscp 64"); }
  SECTION("DSCP that is neither a number nor a name") {
    check_single_error(base_with({{22, "    dscp: af44"}}), 22, 11,
                       "dscp \"af44\" is not a DSCP value: write 0 to 63 or a name: EF, VA, AF11 to AF43");
  }
  SECTION("port range upside down") {
    check_single_error(base_with({{22, "    dst_ports: \"6000-5000\""}}), 22, 16, "range starts above its end");
  }
  SECTION("port above 65535") {
    check_single_error(base_with({{22, "    dst_ports: [80, 70000]"}}), 22, 21, "ports go from 0 to 65535");
  }
  SECTION("ports with protocol icmp") {
    check_single_error(base_with({{22, "    protocol: icmp\n    dst_ports: 80"}}), 22, 15,
                       "ports only exist for tcp and udp");
  }
  SECTION("unknown protocol name") {
    check_single_error(base_with({{22, "    protocol: sctpp"}}), 22, 15, "protocol \"sctpp\"");
  }
  SECTION("class refers to an unknown link") {
    check_single_error(base_with({{19, "    links: [fiber, lt]"}}), 19, 20,
                       "unknown link \"lt\" (did you mean \"lte\"?); links are fiber, lte");
  }
  SECTION("class lists a link twice") {
    check_single_error(base_with({{19, "    links: [fiber, fiber]"}}), 19, 20, "listed twice");
  }
  SECTION("rule refers to an unknown class") {
    check_single_error(base_with({{21, "  - class: vop"}}), 21, 12,
                       "unknown class \"vop\" (did you mean \"voip\"?); classes are voip, default");
  }
  SECTION("rule with no match keys") { check_single_error(base_with({{22, ""}}), 21, 5, "has no match keys"); }
  SECTION("host bits set in a rule prefix") {
    check_single_error(base_with({{22, "    dst: 203.0.113.1/24"}}), 22, 10, "did you mean 203.0.113.0/24?");
  }
  SECTION("host bits set in an IPv6 rule prefix") {
    check_single_error(base_with({{22, "    src: \"2001:db8::1/32\""}}), 22, 10, "did you mean 2001:db8::/32?");
  }
  SECTION("malformed IPv6 prefix") {
    check_single_error(base_with({{22, "    dst: [192.0.2.0/24, \"2001:db8::zz/32\"]"}}), 22, 25,
                       "is not an IPv4 or IPv6 address");
  }
  SECTION("prefix length too long") {
    check_single_error(base_with({{22, "    dst: 192.0.2.0/33"}}), 22, 10, "invalid prefix length");
  }
  SECTION("ingress_subnet that is not a LAN subnet") {
    check_single_error(base_with({{22, "    ingress_subnet: 10.0.0.0/24"}}), 22, 21,
                       "is not one of the lan subnets (192.168.10.0/24, 192.168.20.0/24)");
  }
  SECTION("rule VLAN not configured on the LAN") {
    check_single_error(base_with({{22, "    vlan: 30"}}), 22, 11, "vlan 30 is not used by any lan subnet");
  }
  SECTION("rule that can never match: IPv4 source, IPv6 destination") {
    check_single_error(base_with({{22, "    src: 192.168.10.0/24\n    dst: \"2001:db8::/32\""}}), 21, 5,
                       "can never match");
  }
  SECTION("icmp with IPv6-only addresses") {
    check_single_error(base_with({{22, "    protocol: icmp\n    dst: \"2001:db8::/32\""}}), 22, 15, "use icmpv6");
  }
  SECTION("unknown key, with a suggestion") {
    auto errs = errors_of(base_with({{12, "    gatway: 100.64.1.1"}}));
    INFO(dump(errs));
    REQUIRE(errs.size() == 2);
    // In file order: the missing key is reported where the link's map starts, the typo where it is.
    CHECK(errs[0].loc.line == 9);
    CHECK(errs[0].loc.column == 5);
    CHECK(errs[0].reason == "link \"fiber\": missing required key \"gateway\"");
    CHECK(errs[1].loc.line == 12);
    CHECK(errs[1].loc.column == 5);
    CHECK(errs[1].reason ==
          "link \"fiber\": unknown key \"gatway\" (did you mean \"gateway\"?); valid keys are name, device, address, "
          "gateway, gateway_mac, role, weight, metered, probe, capacity, shaping, nat, firewall, mtu, fragment, "
          "mss_clamp, forwards");
  }
  SECTION("unknown top-level key") {
    check_single_error(base_with({}, "flowcache:\n  size: 2048\n"), 23, 1, "unknown key \"flowcache\"");
  }
  SECTION("duplicate key") {
    check_single_error(base_with({{12, "    gateway: 100.64.1.1\n    gateway: 100.64.1.1"}}), 13, 5,
                       "key \"gateway\" appears twice (first on line 12)");
  }
  SECTION("duplicate link name") {
    check_single_error(base_with({{13, "  - name: fiber"}, {19, "    links: [fiber]"}}), 13, 11,
                       "link name \"fiber\" is used twice");
  }
  SECTION("duplicate device") {
    check_single_error(base_with({{14, "    device: net_null1"}}), 14, 13, "already used by link \"fiber\"");
  }
  SECTION("invalid link name does not cascade into the classes that use it") {
    check_single_error(base_with({{9, "  - name: Fiber"}, {19, "    links: [Fiber, lte]"}}), 9, 11,
                       "\"Fiber\" is not a valid name");
  }
  SECTION("name too long") {
    check_single_error(
        base_with({{18, "  - name: " + std::string(33, 'v')}, {21, "  - class: " + std::string(33, 'v')}}), 18, 11,
        "is not a valid name");
  }
  SECTION("bad role") {
    check_single_error(base_with({{16, "    gateway: 100.64.2.1\n    role: standby"}}), 17, 11,
                       "must be primary or backup");
  }
  SECTION("weight out of range") {
    check_single_error(base_with({{16, "    gateway: 100.64.2.1\n    weight: 0"}}), 17, 13,
                       "out of range: allowed 1 to 1000");
  }
  SECTION("bad gateway MAC") {
    check_single_error(base_with({{16, "    gateway: 100.64.2.1\n    gateway_mac: \"02:00:00:00:01\""}}), 17, 18,
                       "is not a MAC address");
  }
  SECTION("bad mode") {
    check_single_error(base_with({{19, "    links: [fiber, lte]\n    mode: fastest"}}), 20, 11,
                       "must be one of priority, balance, best");
  }
  SECTION("missing required value") {
    check_single_error(base_with({{10, "    device:"}}), 10, 5, "device has no value");
  }
  SECTION("list where a single value is expected") {
    check_single_error(base_with({{10, "    device: [a, b]"}}), 10, 13, "must be a single value, got a list");
  }
  SECTION("only one link") {
    check_single_error(base_with({{13, ""}, {14, ""}, {15, ""}, {16, ""}, {19, "    links: [fiber]"}}), 9, 3,
                       "links has 1 link; a policy needs 2 to 8 WAN links");
  }
  SECTION("flow cache too small") {
    check_single_error(base_with({}, "flow_cache:\n  size: 100\n"), 24, 9, "out of range: allowed 1024 to 4194304");
  }
  SECTION("idle timeout too long") {
    check_single_error(base_with({}, "flow_cache:\n  idle_timeout_s: 3601\n"), 24, 19, "allowed 1 to 3600");
  }
  SECTION("missing lan section") {
    std::map<int, std::string> drop;
    for (int l = 2; l <= 7; ++l) drop[l] = "";
    check_single_error(base_with(drop), 1, 1, "missing required key \"lan\"");
  }
  SECTION("neighbor outside the LAN") {
    check_single_error(
        base_with({{7, "      vlan: 20\n  neighbors:\n    - {ip: 10.9.9.9, mac: \"02:00:00:00:10:10\"}"}}), 9, 12,
        "is not inside any lan subnet");
  }
  SECTION("YAML syntax error") {
    auto errs = errors_of(base_with({{19, "    links: [fiber, lte"}}));
    INFO(dump(errs));
    REQUIRE(errs.size() == 1);
    // yaml-cpp notices the unclosed list where the next key starts (line 20, at its colon).
    CHECK(errs[0].loc.line == 20);
    CHECK(errs[0].loc.column == 6);
    CHECK(errs[0].reason.find("YAML syntax error") == 0);
  }
  SECTION("empty file") { check_single_error("", 1, 1, "policy file is empty"); }
}

TEST_CASE("too many classes counts the implicit default", "[policy]") {
  std::string classes;
  for (int i = 0; i < 16; ++i) classes += "  - name: c" + std::to_string(i) + "\n    links: [fiber]\n";
  classes.pop_back();
  check_single_error(base_with({{18, classes}, {19, ""}, {21, "  - class: c0"}}), 18, 3,
                     "17 classes (with the implicit default); at most 16 are allowed including default");
  // 15 declared + implicit default is exactly the limit.
  std::string fifteen;
  for (int i = 0; i < 15; ++i) fifteen += "  - name: c" + std::to_string(i) + "\n    links: [fiber]\n";
  fifteen.pop_back();
  auto r = parse_policy(base_with({{18, fifteen}, {19, ""}, {21, "  - class: c0"}}), "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  CHECK(r.policy->classes.size() == 16);
  CHECK(r.policy->default_class == 15);
}

TEST_CASE("several mistakes are all reported, in file order", "[policy]") {
  auto errs = errors_of(base_with({{7, "      vlan: 5000"},
                                   {12, "    gateway: 100.64.9.1"},
                                   {19, "    links: [fiber, ltee]"},
                                   {22, "    dscp: 99\n    dst_ports: \"9-1\""}}));
  INFO(dump(errs));
  REQUIRE(errs.size() == 5);
  const std::pair<int, int> where[5] = {{7, 13}, {12, 14}, {19, 20}, {22, 11}, {23, 16}};
  for (int i = 0; i < 5; ++i) {
    CHECK(errs[i].loc.line == where[i].first);
    CHECK(errs[i].loc.column == where[i].second);
  }
  // The bad vlan must not also produce a "vlan not on the LAN" complaint anywhere else, nor the bad dscp a second one.
  CHECK(errs[3].reason.find("dscp 99") != std::string::npos);
}

TEST_CASE("prefix lists: read relative to the policy, errors point into the list file", "[policy]") {
  TempDir dir;
  const std::string rule = "    dst_prefix_lists: [prefixes/a.txt]";
  SECTION("a bad line is reported at the list's own line and column") {
    dir.write("prefixes/a.txt",
              "# comment\n52.112.0.0/14\n  52.112.0.1/14  # host bits\n2001:db8::/129\n1.2.3.0/24 x\n");
    auto r = parse_policy(base_with({{22, rule}}), "t.yaml", dir.path.string());
    INFO(dump(r.errors));
    REQUIRE(r.errors.size() == 3);
    const std::string list_path = (dir.path / "prefixes/a.txt").lexically_normal().string();
    CHECK(r.errors[0].loc.file == list_path);
    CHECK(r.errors[0].loc.line == 3);
    CHECK(r.errors[0].loc.column == 3);
    CHECK(r.errors[0].reason.find("did you mean 52.112.0.0/14?") != std::string::npos);
    CHECK(r.errors[1].loc.line == 4);
    CHECK(r.errors[1].loc.column == 1);
    CHECK(r.errors[1].reason.find("invalid prefix length (must be 0..128)") != std::string::npos);
    CHECK(r.errors[2].loc.line == 5);
    CHECK(r.errors[2].reason.find("one prefix per line") != std::string::npos);
  }
  SECTION("a missing list is reported where the policy names it") {
    auto errs = errors_of(base_with({{22, rule}}), dir.path.string());
    INFO(dump(errs));
    REQUIRE(errs.size() == 1);
    CHECK(errs[0].loc.file == "t.yaml");
    CHECK(errs[0].loc.line == 22);
    CHECK(errs[0].loc.column == 24);
    CHECK(errs[0].reason.find("cannot open") != std::string::npos);
    CHECK(errs[0].reason.find("No such file or directory") != std::string::npos);
  }
  SECTION("an empty list is refused, since an empty address side would match everything") {
    dir.write("prefixes/a.txt", "# nothing yet\n\n");
    auto r = parse_policy(base_with({{22, rule}}), "t.yaml", dir.path.string());
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].reason.find("contains no prefixes") != std::string::npos);
  }
  SECTION("a list used by two rules is read once and its errors reported once") {
    dir.write("prefixes/a.txt", "300.1.1.0/24\n");
    auto r = parse_policy(base_with({{22, rule + "\n  - class: voip\n" + rule}}), "t.yaml", dir.path.string());
    INFO(dump(r.errors));
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].loc.line == 1);
  }
  SECTION("load_policy resolves lists next to the policy file") {
    dir.write("prefixes/a.txt", "192.0.2.0/24\n");
    dir.write("p.yaml", base_with({{22, rule}}));
    auto r = load_policy((dir.path / "p.yaml").string());
    INFO(dump(r.errors));
    REQUIRE(r.ok());
    REQUIRE(r.policy->rules.size() == 1);
    REQUIRE(r.policy->rules[0].dst4.size() == 1);
    CHECK(r.policy->rules[0].dst4[0].addr == ip4(192, 0, 2, 0));
  }
}

TEST_CASE("a policy file that cannot be opened", "[policy]") {
  auto r = load_policy("/nonexistent/office.yaml");
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() == "/nonexistent/office.yaml:1:1: cannot open: No such file or directory");
}

TEST_CASE("the shipped office policy loads and means what the lab expects", "[policy]") {
  auto r = load_policy((policies_dir() / "office.yaml").string());
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  const Policy& p = *r.policy;
  REQUIRE(p.links.size() == 2);
  CHECK(p.links[0].name == "fiber");
  CHECK(p.links[0].device == "net_af_packet1,iface=fiber0,qdisc_bypass=1");
  CHECK(p.links[0].address.addr == ip4(100, 64, 1, 2));
  CHECK(p.links[0].gateway == ip4(100, 64, 1, 1));
  CHECK(p.links[1].name == "lte");
  CHECK(p.links[1].role == LinkRole::backup);
  CHECK(p.links[1].dhcp);  // the LTE router hands out the address (the lab's dnsmasq)
  CHECK(p.links[1].gateway == 0);
  CHECK(p.lan.device == "net_af_packet0,iface=lan0,qdisc_bypass=1");
  REQUIRE(p.lan.subnets.size() == 2);
  CHECK(p.lan.subnets[1].vlan == 20);

  int guest = p.class_index("guest"), voip = p.class_index("voip"), pay = p.class_index("payments"),
      m365 = p.class_index("m365");
  REQUIRE(guest >= 0);
  REQUIRE(voip >= 0);
  REQUIRE(pay >= 0);
  REQUIRE(m365 >= 0);
  CHECK(p.classes[guest].links == std::vector<uint8_t>{0});  // never on LTE
  CHECK(p.classes[voip].links == std::vector<uint8_t>{0, 1});
  CHECK(p.classes[p.default_class].name == "default");

  // Guest rules come first so a guest's DSCP 46 call stays guest.
  REQUIRE(!p.rules.empty());
  CHECK(p.rules[0].class_id == guest);
  CHECK(p.rules[0].vlan == 20);

  const uint32_t generic_server = ip4(203, 0, 113, 10), other_server = ip4(198, 51, 100, 10);
  bool m365_has_teams = false, payments_has_lab = false;
  for (const auto& rule : p.rules) {
    if (rule.class_id == m365) {
      m365_has_teams |= covers(rule.dst4, ip4(52, 112, 0, 10));
      CHECK_FALSE(covers(rule.dst4, generic_server));
      CHECK_FALSE(covers(rule.dst4, other_server));
      CHECK(rule.dst6.size() > 0);
    }
    if (rule.class_id == pay) {
      payments_has_lab |= covers(rule.dst4, ip4(198, 51, 100, 20));
      CHECK_FALSE(covers(rule.dst4, generic_server));
      CHECK_FALSE(covers(rule.dst4, other_server));
      CHECK(rule.proto == 6);
      CHECK(rule.dport.lo == 443);
      CHECK(rule.dport.hi == 443);
    }
  }
  CHECK(m365_has_teams);
  CHECK(payments_has_lab);
}

TEST_CASE("the shipped remote-worker policy loads: hotspot only for calls, M365 and payments", "[policy]") {
  auto r = load_policy((policies_dir() / "remote-worker.yaml").string());
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  const Policy& p = *r.policy;
  int hotspot = p.link_index("hotspot");
  REQUIRE(hotspot >= 0);
  CHECK(p.links[hotspot].role == LinkRole::backup);
  for (const auto& c : p.classes) {
    bool on_hotspot = std::find(c.links.begin(), c.links.end(), hotspot) != c.links.end();
    INFO(c.name);
    CHECK(on_hotspot == (c.name == "voip" || c.name == "m365" || c.name == "payments"));
  }
}

// ---- rate limits, capacities and the shaper (issue 4) ---------------------------------------------------

namespace {
// Column (1-based) of `token` in `line`, so the expected positions below read as what they point at.
int col_of(const std::string& line, const std::string& token) { return static_cast<int>(line.find(token)) + 1; }
}  // namespace

TEST_CASE("limits, capacities and shaper settings compile to the expected values", "[policy][meter][shaper]") {
  std::string text =
      base_with({{12, "    gateway: 100.64.1.1\n    capacity: {up: 1.5mbit, down: 50mbit}"},
                 {16, "    gateway: 100.64.2.1\n    role: backup\n    capacity: {up: 5mbit}\n    shaping: false"},
                 {19,
                  "    links: [fiber, lte]\n"
                  "    limit: {rate: 10mbit, burst: 64kb, peak_rate: 20mbit, peak_burst: 128kib, exceed: remark, "
                  "remark_dscp: 8}\n"
                  "    on_backup: {limit: {rate: 500kbit}}\n"
                  "  - name: guest\n"
                  "    links: [fiber]\n"
                  "    on_backup: block"}},
                "shaper:\n  priority: [voip, default]\n  delay_target_ms: 10\n");
  auto r = parse_policy(text, "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  const Policy& p = *r.policy;
  CHECK(p.links[0].capacity_up_bps == 1500000);
  CHECK(p.links[0].capacity_down_bps == 50000000);
  CHECK(p.links[0].shaping);
  CHECK(p.links[1].capacity_up_bps == 5000000);
  CHECK_FALSE(p.links[1].shaping);
  REQUIRE(p.class_limits.size() == p.classes.size());
  const ClassLimitSpec& voip = p.class_limits[0];
  REQUIRE(voip.limit);
  CHECK(voip.limit->rate_bps == 10000000);
  CHECK(voip.limit->burst_bytes == 64000);
  CHECK(voip.limit->peak_rate_bps == 20000000);
  CHECK(voip.limit->peak_burst_bytes == 131072);
  CHECK(voip.limit->remark);
  CHECK(voip.limit->remark_dscp == 8);
  CHECK(voip.on_backup == BackupMode::limit);
  CHECK(voip.backup_limit.rate_bps == 500000);
  CHECK(p.class_limits[1].on_backup == BackupMode::block);
  CHECK_FALSE(p.class_limits[2].limit);  // the implicit default
  // voip, default as given, then guest (not listed) in policy order; CoDel on the last two by default
  CHECK(p.shaper.priority == std::vector<uint8_t>{0, 2, 1});
  CHECK(p.shaper.delay_drop == std::vector<uint8_t>{2, 1});
  CHECK(p.shaper.delay_target_ms == 10);
  CHECK(p.shaper.delay_interval_ms == 100);
  CHECK(p.shaper.queue_bytes == 0);  // the default: derived from the packet limit (control/runtime/egress_plan.cpp)
}

TEST_CASE("mistakes in limits, capacities and the shaper are reported at their line and column",
          "[policy][meter][shaper]") {
  SECTION("a rate with an unknown unit") {
    std::string l = "    capacity: {up: 5MB/s}";
    check_single_error(base_with({{12, "    gateway: 100.64.1.1\n" + l}}), 13, col_of(l, "5MB/s"),
                       "link \"fiber\" capacity up \"5MB/s\" is not a rate: write a number of bits per second");
  }
  SECTION("a rate below 8 kbit/s") {
    std::string l = "    capacity: {up: 1kbit}";
    check_single_error(base_with({{12, "    gateway: 100.64.1.1\n" + l}}), 13, col_of(l, "1kbit"),
                       "capacity up 1kbit is out of range");
  }
  SECTION("a fraction of a bit") {
    std::string l = "    capacity: {up: 8000.5}";
    check_single_error(base_with({{12, "    gateway: 100.64.1.1\n" + l}}), 13, col_of(l, "8000.5"), "is not a rate");
  }
  SECTION("shaping without a capacity to shape to") {
    std::string l = "    shaping: true";
    check_single_error(base_with({{12, "    gateway: 100.64.1.1\n" + l}}), 13, col_of(l, "true"),
                       "shaping: true needs capacity");
  }
  SECTION("shaping must be true or false") {
    std::string l = "    shaping: maybe";
    check_single_error(base_with({{12, "    gateway: 100.64.1.1\n    capacity: {up: 5mbit}\n" + l}}), 14,
                       col_of(l, "maybe"), "shaping must be true or false, got \"maybe\"");
  }
  SECTION("a limit without a rate") {
    std::string l = "    limit: {burst: 10kb}";
    check_single_error(base_with({{19, "    links: [fiber, lte]\n" + l}}), 20, col_of(l, "{"),
                       "class \"voip\" limit: missing required key \"rate\"");
  }
  SECTION("a peak rate below the committed rate") {
    std::string l = "    limit: {rate: 2mbit, peak_rate: 1mbit}";
    check_single_error(base_with({{19, "    links: [fiber, lte]\n" + l}}), 20, col_of(l, "1mbit"),
                       "peak_rate 1mbit is below rate 2mbit");
  }
  SECTION("a burst in bits") {
    std::string l = "    limit: {rate: 2mbit, burst: 64kbit}";
    check_single_error(base_with({{19, "    links: [fiber, lte]\n" + l}}), 20, col_of(l, "64kbit"),
                       "burst \"64kbit\" is not a size");
  }
  SECTION("remark_dscp without exceed: remark") {
    std::string l = "    limit: {rate: 2mbit, remark_dscp: 8}";
    check_single_error(base_with({{19, "    links: [fiber, lte]\n" + l}}), 20, col_of(l, "8}"),
                       "remark_dscp is only used with exceed: remark");
  }
  SECTION("an unknown exceed action") {
    std::string l = "    limit: {rate: 2mbit, exceed: police}";
    check_single_error(base_with({{19, "    links: [fiber, lte]\n" + l}}), 20, col_of(l, "police"),
                       "exceed \"police\" must be drop or remark");
  }
  SECTION("an unknown on_backup word") {
    std::string l = "    on_backup: throttle";
    check_single_error(base_with({{19, "    links: [fiber, lte]\n" + l}}), 20, col_of(l, "throttle"),
                       "on_backup \"throttle\" must be block, unlimited or a map with limit");
  }
  SECTION("an unknown class in the shaper priority, with a suggestion") {
    check_single_error(base_with({}, "shaper:\n  priority: [voip, defualt]\n"), 24, 20,
                       "shaper priority: unknown class \"defualt\" (did you mean \"default\"?)");
  }
  SECTION("a class listed twice in the shaper priority") {
    check_single_error(base_with({}, "shaper:\n  priority: [voip, voip]\n"), 24, 20,
                       "shaper priority: class \"voip\" is listed twice");
  }
  SECTION("a queue byte limit below one jumbo frame") {
    check_single_error(base_with({}, "shaper:\n  queue_bytes: 4000\n"), 24, 16, "9216 to 67108864");
  }
  SECTION("an unknown shaper key") {
    check_single_error(base_with({}, "shaper:\n  priorty: [voip]\n"), 24, 3,
                       "shaper: unknown key \"priorty\" (did you mean \"priority\"?)");
  }
}

TEST_CASE("probing and SLA keys: defaults, presets, overrides per link", "[policy]") {
  auto r = parse_policy(base_with({{19,
                                    "    links: [fiber, lte]\n    sla: voice\n    on_recovery: stay\n"
                                    "    stick_by: host-pair\n    mode: best"},
                                   {16,
                                    "    gateway: 100.64.2.1\n    metered: true\n"
                                    "    probe: {interval_ms: 50, targets: [{address: 192.0.2.1, kind: stamp}]}"}},
                                  "probing:\n  targets: [198.51.100.1]\n  hold_down_ms: 3000\n"),
                        "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  const Policy& p = *r.policy;
  // fiber: the top-level defaults
  CHECK(p.links[0].probe.enabled);
  CHECK(p.links[0].probe.interval_ms == 20);
  CHECK(p.links[0].probe.hold_down_ms == 3000);
  REQUIRE(p.links[0].probe.targets.size() == 1);
  CHECK(p.links[0].probe.targets[0].kind == ProbeKind::icmp);
  CHECK(p.links[0].probe.effective_idle_interval_ms(p.links[0].metered) == 20);
  // lte: its own interval and targets, the rest inherited; metered probes every 5 s while idle
  CHECK(p.links[1].metered);
  CHECK(p.links[1].probe.interval_ms == 50);
  CHECK(p.links[1].probe.hold_down_ms == 3000);
  REQUIRE(p.links[1].probe.targets.size() == 1);
  CHECK(p.links[1].probe.targets[0].kind == ProbeKind::stamp);
  CHECK(p.links[1].probe.targets[0].port == 862);
  CHECK(p.links[1].probe.effective_idle_interval_ms(true) == 5000);
  const ClassSpec& voip = p.classes[p.class_index("voip")];
  CHECK(voip.sla.preset == "voice");
  CHECK(voip.sla.max_loss_pct == 1);
  CHECK(voip.sla.max_rtt_ms == 150);
  CHECK(voip.sla.max_jitter_ms == 30);
  CHECK(voip.on_recovery == OnRecovery::stay);
  CHECK(voip.on_sla_breach == OnBreach::move);
  CHECK(voip.stick_by == StickBy::host_pair);
  CHECK(voip.mode == SteerMode::best);
  const ClassSpec& def = p.classes[p.class_index("default")];
  CHECK(def.sla.preset == "bulk");
  CHECK(def.stick_by == StickBy::flow);
  CHECK(def.on_recovery == OnRecovery::automatic);  // not given: NATed flows stay, routed ones return
}

TEST_CASE("bad probing and SLA values are reported at their line and column", "[policy]") {
  SECTION("unknown SLA preset") {
    check_single_error(base_with({{19, "    links: [fiber, lte]\n    sla: vioce"}}), 20, 10,
                       "sla \"vioce\" must be one of voice, interactive, bulk (did you mean \"voice\"?)");
  }
  SECTION("loss percentage out of range") {
    check_single_error(base_with({{19, "    links: [fiber, lte]\n    sla: {max_loss_pct: 150}"}}), 20, 25,
                       "max_loss_pct 150 is out of range");
  }
  SECTION("not a number") {
    check_single_error(base_with({{19, "    links: [fiber, lte]\n    sla: {max_rtt_ms: fast}"}}), 20, 23,
                       "must be a number");
  }
  SECTION("probe interval too small") {
    check_single_error(base_with({}, "probing: {interval_ms: 1}\n"), 23, 24, "interval_ms 1 is out of range");
  }
  SECTION("probe target kind") {
    check_single_error(
        base_with({{16, "    gateway: 100.64.2.1\n    probe: {targets: [{address: 192.0.2.1, kind: twamp}]}"}}), 17, 50,
        "kind \"twamp\" must be one of icmp, stamp");
  }
  SECTION("metered is a yes/no") {
    check_single_error(base_with({{16, "    gateway: 100.64.2.1\n    metered: sometimes"}}), 17, 14,
                       "must be true or false");
  }
  SECTION("stick_by") {
    check_single_error(base_with({{19, "    links: [fiber, lte]\n    stick_by: host"}}), 20, 15,
                       "stick_by \"host\" must be one of flow, host-pair");
  }
}

TEST_CASE("thousands of corrupted office.yaml files: never a crash, every error points into the file", "[policy]") {
  std::ifstream in(std::string(WANSTEER_SOURCE_DIR) + "/policies/office.yaml");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string good = ss.str();
  std::vector<std::string> lines;
  {
    std::string l;
    std::istringstream is(good);
    while (std::getline(is, l)) lines.push_back(l);
  }
  // Fragments a hurried edit leaves behind: wrong types, bad numbers, stray YAML syntax, unknown keys.
  const std::vector<std::string> junk = {": ",
                                         "- ",
                                         "{",
                                         "}",
                                         "[",
                                         "]",
                                         "\"",
                                         "'",
                                         "#",
                                         "  ",
                                         "\t",
                                         "-1",
                                         "1e999",
                                         "nan",
                                         "0x10",
                                         "99999999999999999999",
                                         "yes",
                                         "voice",
                                         "stamp",
                                         "probe:",
                                         "sla: {max_loss_pct: x}",
                                         "targets: [1.2.3]",
                                         "capacity: {up: 5mbps}",
                                         "on_backup: sometimes",
                                         "interval_ms: 0",
                                         "&a",
                                         "*a",
                                         "!!binary",
                                         "~"};
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto rnd = [&](uint64_t n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return n ? state % n : 0;
  };
  size_t rejected = 0;
  for (int round = 0; round < 3000; round++) {
    std::vector<std::string> v = lines;
    for (int k = 0, edits = 1 + static_cast<int>(rnd(3)); k < edits; k++) {
      size_t i = rnd(v.size());
      switch (rnd(5)) {
        case 0:
          v.erase(v.begin() + static_cast<long>(i));
          break;  // a line lost
        case 1:
          v.insert(v.begin() + static_cast<long>(i), v[rnd(v.size())]);
          break;  // a line pasted twice
        case 2:
          v[i].insert(rnd(v[i].size() + 1), junk[rnd(junk.size())]);
          break;  // junk typed in
        case 3:
          if (!v[i].empty()) v[i][rnd(v[i].size())] = static_cast<char>(32 + rnd(95));  // a typo
          break;
        default: {
          auto c = v[i].find(':');  // a value replaced by junk
          if (c != std::string::npos) v[i] = v[i].substr(0, c + 1) + " " + junk[rnd(junk.size())];
        }
      }
    }
    std::string text;
    for (const auto& l : v) text += l + "\n";
    PolicyResult r;
    REQUIRE_NOTHROW(r = parse_policy(text, "fuzz.yaml", std::string(WANSTEER_SOURCE_DIR) + "/policies"));
    if (r.ok()) continue;
    rejected++;
    for (const auto& e : r.errors) {
      INFO(e.to_string() << "\n--- policy ---\n" << text);
      CHECK(e.loc.file == "fuzz.yaml");
      CHECK(e.loc.line >= 1);
      CHECK(e.loc.line <= static_cast<int>(v.size()) + 1);
      CHECK(e.loc.column >= 1);
      CHECK_FALSE(e.reason.empty());
    }
  }
  CHECK(rejected > 1000);  // the corruptions are real: most files must be refused
}

TEST_CASE("nat: links translate by default; the nat section's values are checked against the RFC minimums",
          "[policy][nat]") {
  auto r = parse_policy(base_with({{16, "    gateway: 100.64.2.1\n    nat: false"}},
                                  "nat: {sessions: 1000, per_host: 50, udp_timeout_s: 600}\n"),
                        "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  CHECK(r.policy->links[0].nat);
  CHECK_FALSE(r.policy->links[1].nat);
  CHECK(r.policy->nat.sessions == 1000);
  CHECK(r.policy->nat.per_host == 50);
  CHECK(r.policy->nat.udp_timeout_s == 600);
  CHECK(r.policy->nat.tcp_established_timeout_s == 7440);

  auto errs = errors_of(base_with({{12, "    gateway: 100.64.1.1\n    nat: maybe"}},
                                  "nat:\n  udp_timeout_s: 30\n  tcp_established_timeout_s: 3600\n  sesions: 5\n"));
  INFO(dump(errs));
  REQUIRE(errs.size() == 4);
  CHECK(errs[0].loc.line == 13);
  CHECK(errs[0].loc.column == 10);
  CHECK(errs[0].reason == "link \"fiber\" nat must be true or false, got \"maybe\"");
  CHECK(errs[1].loc.line == 25);  // udp_timeout_s below 120 s (RFC 4787 REQ-5)
  CHECK(errs[1].loc.column == 18);
  CHECK(errs[2].loc.line == 26);
  CHECK(errs[3].reason.find("did you mean \"sessions\"") != std::string::npos);
}

TEST_CASE("forwards: per link, ranges 1:1, optional sources, targets on the LAN", "[policy][nat][forwards]") {
  auto r = parse_policy(base_with({{12,
                                    "    gateway: 100.64.1.1\n"
                                    "    forwards:\n"
                                    "      - {proto: udp, port: 5060, to: 192.168.10.20}\n"
                                    "      - {proto: tcp, port: 3389, to: \"192.168.10.30:3390\", from: "
                                    "[203.0.113.0/24, 198.51.100.7]}\n"
                                    "      - {proto: tcp, port: 8000-8010, to: 192.168.20.40}"}}),
                        "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  const auto& fw = r.policy->links[0].forwards;
  REQUIRE(fw.size() == 3);
  CHECK(r.policy->links[1].forwards.empty());
  CHECK(fw[0].proto == 17);
  CHECK(fw[0].port.lo == 5060);
  CHECK(fw[0].port.hi == 5060);
  CHECK(fw[0].to_ip == ip4(192, 168, 10, 20));
  CHECK(fw[0].to_port == 5060);  // the same port when none is given
  CHECK(fw[0].from.empty());
  CHECK(fw[1].proto == 6);
  CHECK(fw[1].to_port == 3390);
  REQUIRE(fw[1].from.size() == 2);
  CHECK(fw[1].from[0].addr == ip4(203, 0, 113, 0));
  CHECK(fw[1].from[0].len == 24);
  CHECK(fw[1].from[1].len == 32);
  CHECK(fw[2].port.lo == 8000);
  CHECK(fw[2].port.hi == 8010);
  CHECK(fw[2].to_port == 8000);
  CHECK(fw[2].to_ip == ip4(192, 168, 20, 40));
  CHECK(fw[2].loc.line == 16);
}

TEST_CASE("forwards: each mistake is reported at its line and column", "[policy][nat][forwards]") {
  auto with = [](const std::string& forwards) {
    return base_with({{12, "    gateway: 100.64.1.1\n    forwards:\n" + forwards}});
  };
  // Line 14 is the first forward; the column points at the value in error.
  check_single_error(with("      - {proto: icmp, port: 1, to: 192.168.10.20}"), 14, 17, "must be one of tcp, udp");
  check_single_error(with("      - {proto: tcp, port: 0-10, to: 192.168.10.20}"), 14, 28, "includes port 0");
  check_single_error(with("      - {proto: tcp, port: 20-10, to: 192.168.10.20}"), 14, 28, "range starts above");
  check_single_error(with("      - {proto: tcp, port: 80, to: 10.9.9.9}"), 14, 36, "not inside any lan subnet");
  check_single_error(with("      - {proto: tcp, port: 80, to: 192.168.10.1}"), 14, 36, "edge's own LAN address");
  check_single_error(with("      - {proto: tcp, port: 80, to: \"192.168.10.20:99999\"}"), 14, 36,
                     "optionally with a port");
  check_single_error(with("      - {proto: tcp, port: 65000-65010, to: \"192.168.10.20:65530\"}"), 14, 45,
                     "run past port 65535");
  check_single_error(with("      - {proto: tcp, port: 80, to: 192.168.10.20, from: [2001:db8::/32]}"), 14, 58,
                     "must be IPv4");
  check_single_error(with("      - {proto: udp, port: 40000-41000, to: 192.168.10.20}"), 14, 28,
                     "the edge's own probe ports");
  check_single_error(with("      - {proto: tcp, port: 80, to: 192.168.10.20, frm: [1.2.3.4]}"), 14, 51,
                     "did you mean \"from\"");
  check_single_error(with("      - {proto: tcp, to: 192.168.10.20}"), 14, 9, "port");
  // Overlaps: the later forward is the one reported.
  check_single_error(with("      - {proto: tcp, port: 8000-8010, to: 192.168.10.20}\n"
                          "      - {proto: tcp, port: 8010, to: 192.168.10.21}"),
                     15, 28, "overlaps forward 1 (tcp 8000-8010, line 14)");
  check_single_error(with("      - {proto: tcp, port: 80, to: 192.168.10.20}\n"
                          "      - {proto: tcp, port: 8080, to: \"192.168.10.20:80\"}"),
                     15, 38, "reaches the same LAN ports as forward 1");
  // The same port on another protocol, or on another link, is fine.
  auto ok = parse_policy(
      base_with({{12,
                  "    gateway: 100.64.1.1\n    forwards: [{proto: tcp, port: 53, to: 192.168.10.20}, {proto: udp, "
                  "port: 53, to: 192.168.10.20}]"},
                 {16, "    gateway: 100.64.2.1\n    forwards: [{proto: tcp, port: 53, to: 192.168.10.20}]"}}),
      "t.yaml", ".");
  INFO(dump(ok.errors));
  CHECK(ok.ok());
  // A routed link (nat: false) translates nothing: its forwards open a host's own ports, to any number of hosts.
  auto routed = parse_policy(base_with({{16,
                                         "    gateway: 100.64.2.1\n    nat: false\n    forwards: [{proto: tcp, "
                                         "port: 443, to: 192.168.10.20}, {proto: tcp, port: 443, to: "
                                         "192.168.10.21}]"}}),
                             "t.yaml", ".");
  INFO(dump(routed.errors));
  CHECK(routed.ok());
  REQUIRE(routed.policy->links[1].forwards.size() == 2);
  check_single_error(base_with({{16,
                                 "    gateway: 100.64.2.1\n    nat: false\n    forwards: [{proto: tcp, port: 80, "
                                 "to: 192.168.10.20:8080}]"}}),
                     18, 43, "a routed link (nat: false) translates nothing");
}
