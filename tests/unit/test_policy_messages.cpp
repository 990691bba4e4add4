// The policy reader's answers to what operators actually type: tc-style rates in any case, DSCP names, a tab in
// the indentation, a bare interface name as a device, and keys written without their unit or as a longer word.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "control/policy/did_you_mean.hpp"
#include "control/policy/policy.hpp"
#include "control/policy/value_parsers.hpp"

using namespace wansteer;
using namespace wansteer::policy_reader;

namespace {

// A valid policy; `lan_device`, `link_extra` (lines under link fiber, at its indentation) and `rule` vary.
std::string policy_text(const std::string& lan_device = "net_null0", const std::string& link_extra = "",
                        const std::string& rule = "    dscp: 46\n") {
  return "lan:\n"  // 1
         "  device: " +
         lan_device +
         "\n"                                // 2
         "  subnets:\n"                      // 3
         "    - address: 192.168.10.1/24\n"  // 4
         "links:\n"                          // 5
         "  - name: fiber\n"                 // 6
         "    device: net_null1\n"           // 7
         "    address: 100.64.1.2/30\n"      // 8
         "    gateway: 100.64.1.1\n" +
         link_extra +  // 9
         "  - name: lte\n"
         "    device: net_null2\n"
         "    address: 100.64.2.2/30\n"
         "    gateway: 100.64.2.1\n"
         "classes:\n"
         "  - name: voip\n"
         "    links: [fiber, lte]\n"
         "rules:\n"
         "  - class: voip\n" +
         rule;
}

std::vector<PolicyError> errors_of(const std::string& text) { return parse_policy(text, "t.yaml", ".").errors; }

std::string dump(const std::vector<PolicyError>& errs) {
  std::string s;
  for (const auto& e : errs) s += e.to_string() + "\n";
  return s;
}

}  // namespace

TEST_CASE("messages: the base policy is valid", "[policy][messages]") {
  const std::vector<PolicyError> errs = errors_of(policy_text());
  INFO(dump(errs));
  CHECK(errs.empty());
}

TEST_CASE("messages: DSCP names in any case where numbers are accepted", "[policy][messages]") {
  const std::vector<std::pair<const char*, std::optional<uint64_t>>> cases{
      {"EF", 46},   {"ef", 46},   {"AF11", 10}, {"af12", 12}, {"AF13", 14},
      {"AF21", 18}, {"AF41", 34}, {"AF43", 38}, {"CS0", 0},   {"cs3", 24},
      {"CS7", 56},  {"VA", 44},   {"be", 0},    {"46", 46},   {"AF44", {}},
      {"AF51", {}}, {"CS8", {}},  {"E F", {}},  {"", {}},     {"0x2e", std::nullopt},
  };
  for (const auto& [text, want] : cases) {
    INFO(text);
    CHECK(parse_dscp(text) == want);
  }
  // In a policy: rule dscp lists and remark_dscp take names; the rule's classifier sees the numbers.
  PolicyResult r = parse_policy(policy_text("net_null0", "", "    dscp: [EF, af41, CS3]\n"), "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  CHECK(r.policy->rules[0].dscp == std::vector<uint8_t>{46, 34, 24});
  const std::vector<PolicyError> errs = errors_of(policy_text("net_null0", "", "    dscp: [EF, AF5]\n"));
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].loc.line == 19);
  CHECK(errs[0].loc.column == 16);
  CHECK(errs[0].reason.find("\"AF5\" is not a DSCP value") != std::string::npos);
}

TEST_CASE("messages: rates as tc and ISPs write them, in a policy", "[policy][messages]") {
  PolicyResult r = parse_policy(policy_text("net_null0", "    capacity: {up: 2Mbit, down: 100Mbps}\n"), "t.yaml", ".");
  INFO(dump(r.errors));
  REQUIRE(r.ok());
  CHECK(r.policy->links[0].capacity_up_bps == 2000000);
  CHECK(r.policy->links[0].capacity_down_bps == 100000000);
}

TEST_CASE("messages: a tab in the indentation is named, with its line and column", "[policy][messages]") {
  std::string text = policy_text();
  text.replace(text.find("    address: 100.64.1.2/30"), 4, "  \t ");  // line 8: two spaces, then the tab
  const std::vector<PolicyError> errs = errors_of(text);
  INFO(dump(errs));
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].loc.line == 8);
  CHECK(errs[0].loc.column == 3);
  CHECK(errs[0].reason.find("tab") != std::string::npos);
  CHECK(errs[0].to_string().rfind("t.yaml:8:3: tab in indentation", 0) == 0);
}

TEST_CASE("messages: a bare interface name as a device fails with the af_packet string", "[policy][messages]") {
  std::vector<PolicyError> errs = errors_of(policy_text("eth1"));
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].loc.line == 2);
  CHECK(errs[0].loc.column == 11);
  CHECK(errs[0].reason.find("did you mean \"net_af_packet0,iface=eth1\"?") != std::string::npos);
  std::string text = policy_text();
  text.replace(text.find("device: net_null2"), 17, "device: enp3s0");
  errs = errors_of(text);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].reason.rfind("link \"lte\": device \"enp3s0\" is not a DPDK port", 0) == 0);
  CHECK(errs[0].reason.find("net_af_packet2,iface=enp3s0") != std::string::npos);
  // What DPDK can open passes: PCI addresses, vdev strings.
  for (const char* ok :
       {"0000:03:00.0", "03:00.0", "net_af_packet0,iface=eth1", "net_pcap0,rx_pcap=a.pcap", "eth_af_xdp0,iface=eth2"})
    CHECK(device_problem(ok, 0).empty());
}

TEST_CASE("messages: keys without their unit or as a longer word get a suggestion", "[policy][messages]") {
  CHECK(suggest("hold_down", {"interval_ms", "hold_down_ms", "loss_window"}) == " (did you mean \"hold_down_ms\"?)");
  CHECK(suggest("upload", {"up", "down"}) == " (did you mean \"up\"?)");
  CHECK(suggest("download", {"up", "down"}) == " (did you mean \"down\"?)");
  CHECK(suggest("colour", {"up", "down", "hold_down_ms"}).empty());
  std::vector<PolicyError> errs = errors_of(policy_text("net_null0", "    probe: {hold_down: 10s}\n"));
  INFO(dump(errs));
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].reason.find("unknown key \"hold_down\" (did you mean \"hold_down_ms\"?)") != std::string::npos);
  errs = errors_of(policy_text("net_null0", "    capacity: {upload: 20mbit}\n"));
  INFO(dump(errs));
  REQUIRE(errs.size() == 2);  // and "capacity needs up and/or down"
  CHECK(errs[1].reason.find("unknown key \"upload\" (did you mean \"up\"?)") != std::string::npos);
}
