// Policy warnings: each silent-failure case in a policy of its own, asserting the message and its FILE:LINE:COLUMN;
// and a policy without any of them (office.yaml) gets none.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "control/policy/policy.hpp"

using namespace wansteer;

namespace {

// Lines 1-12: lan and two links (fiber primary, lte backup metered, its capacity on 12); `classes` from line 13.
std::string policy_with(const std::string& classes, const std::string& rules,
                        const std::string& lte_capacity = "    capacity: {up: 5mbit}\n") {
  return "lan:\n"                                                                               // 1
         "  device: net_null0\n"                                                                // 2
         "  subnets: [{address: 192.168.10.1/24}]\n"                                            // 3
         "links:\n"                                                                             // 4
         "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1}\n"  // 5
         "  - name: lte\n"                                                                      // 6
         "    device: net_null2\n"                                                              // 7
         "    address: 100.64.2.2/30\n"                                                         // 8
         "    gateway: 100.64.2.1\n"                                                            // 9
         "    role: backup\n"                                                                   // 10
         "    metered: true\n" +                                                                // 11
         lte_capacity +
         classes + rules;  // 12 (capacity), classes from 13
}

std::vector<PolicyError> warnings_of(const std::string& text) {
  PolicyResult r = parse_policy(text, "w.yaml", ".");
  INFO((r.errors.empty() ? std::string() : r.errors[0].to_string()));
  REQUIRE(r.ok());
  return r.warnings;
}

std::string dump(const std::vector<PolicyError>& ws) {
  std::string s;
  for (const auto& w : ws) s += w.to_string() + "\n";
  return s;
}

const std::string kClasses =
    "classes:\n"                                                                      // 13
    "  - {name: voip, links: [fiber, lte], sla: voice}\n"                             // 14
    "  - {name: default, links: [fiber, lte], on_backup: {limit: {rate: 1mbit}}}\n";  // 15
const std::string kRules =
    "rules:\n"                        // 16
    "  - {class: voip, dscp: 46}\n";  // 17

}  // namespace

TEST_CASE("warnings: a policy without silent failures has none", "[policy][warnings]") {
  const std::vector<PolicyError> ws = warnings_of(policy_with(kClasses, kRules));
  INFO(dump(ws));
  CHECK(ws.empty());
  PolicyResult office = load_policy(WANSTEER_SOURCE_DIR "/policies/office.yaml");
  REQUIRE(office.ok());
  INFO(dump(office.warnings));
  CHECK(office.warnings.empty());
}

TEST_CASE("warnings: no classes means everything is default, metered link included", "[policy][warnings]") {
  for (const std::string& classes : {std::string(""), std::string("classes:\n"), std::string("classes: []\n")}) {
    const std::vector<PolicyError> ws = warnings_of(policy_with(classes, ""));
    INFO(dump(ws));
    REQUIRE(ws.size() == 1);
    CHECK(ws[0].severity == Severity::warning);
    CHECK(ws[0].loc.line == (classes.empty() ? 1 : 13));
    CHECK(ws[0].reason.find("no classes: all traffic is class default on every link, metered lte too") == 0);
    CHECK(ws[0].to_string().find(classes.empty() ? "w.yaml:1:1: warning: no classes" : "w.yaml:13:") == 0);
  }
}

TEST_CASE("warnings: a class only on backup links with on_backup: block can never send", "[policy][warnings]") {
  const std::vector<PolicyError> ws = warnings_of(policy_with(kClasses + "  - name: guest\n"  // 16
                                                                         "    links: [lte]\n"
                                                                         "    on_backup: block\n",
                                                              kRules + "  - {class: guest, vlan: 0}\n"));
  INFO(dump(ws));
  REQUIRE(ws.size() == 1);
  CHECK(ws[0].to_string() ==
        "w.yaml:16:5: warning: class \"guest\" can never send: its only links (lte) have role backup and it has "
        "on_backup: block; add a primary link or drop on_backup: block");
}

TEST_CASE("warnings: a catch-all rule before others shadows them all", "[policy][warnings]") {
  const std::vector<PolicyError> ws = warnings_of(policy_with(kClasses,
                                                              "rules:\n"                                        // 16
                                                              "  - {class: default, vlan: 0}\n"                 // 17
                                                              "  - {class: voip, dscp: 46, vlan: 0}\n"          // 18
                                                              "  - {class: voip, protocol: udp, vlan: 0}\n"));  // 19
  INFO(dump(ws));
  REQUIRE(ws.size() == 1);
  CHECK(ws[0].to_string() ==
        "w.yaml:17:5: warning: rule 1 (class default) matches every packet the 2 rules after it match, so none of "
        "them can ever match (first match wins); move it after them");
}

TEST_CASE("warnings: a rule covered by an earlier one can never match", "[policy][warnings]") {
  const std::vector<PolicyError> ws = warnings_of(
      policy_with(kClasses,
                  "rules:\n"                                                                // 16
                  "  - {class: voip, protocol: udp, dst_ports: \"16384-32767\"}\n"          // 17
                  "  - {class: default, protocol: udp, dst_ports: [20000, 30000-30010]}\n"  // 18: strict subset
                  "  - {class: voip, protocol: udp, dst_ports: \"16384-32767\"}\n"          // 19: duplicate
                  "  - {class: default, dst_ports: \"16384-32767\"}\n"                      // 20: tcp too: no
                  "  - {class: voip, dst: [10.0.0.0/8], protocol: tcp}\n"                   // 21
                  "  - {class: default, dst: [10.1.0.0/16, 10.2.0.0/16], protocol: tcp, dscp: 10}\n"  // 22: subset
                  "  - {class: default, dst: [10.1.0.0/16, 11.0.0.0/8], protocol: tcp}\n"));  // 23: not all inside
  INFO(dump(ws));
  REQUIRE(ws.size() == 3);
  CHECK(ws[0].to_string() ==
        "w.yaml:18:5: warning: rule 2 (class default) can never match: rule 1 (class voip) before it matches every "
        "packet it does (first match wins); move it above that rule or narrow that rule");
  CHECK(ws[1].to_string() ==
        "w.yaml:19:5: warning: rule 3 (class voip) can never match: rule 1 (class voip) before it matches every "
        "packet it does (first match wins); it is redundant");
  CHECK(ws[2].loc.line == 22);
  CHECK(ws[2].reason.find("rule 6 (class default) can never match: rule 5 (class voip)") == 0);
}

TEST_CASE("warnings: capacity with only down shapes nothing", "[policy][warnings]") {
  const std::vector<PolicyError> ws =
      warnings_of(policy_with(kClasses, kRules, "    capacity: {down: 50mbit}\n    shaping: true\n"));
  INFO(dump(ws));
  REQUIRE(ws.size() == 1);
  CHECK(ws[0].to_string().find("w.yaml:12:5: warning: link \"lte\": capacity has only down, so nothing is shaped") ==
        0);
}

TEST_CASE("warnings: default on a metered link without a limit", "[policy][warnings]") {
  const std::vector<PolicyError> ws =
      warnings_of(policy_with("classes:\n"
                              "  - {name: voip, links: [fiber, lte]}\n"
                              "  - {name: default, links: [fiber, lte], limit: {rate: "
                              "50mbit}, on_backup: unlimited}\n",
                              kRules));
  INFO(dump(ws));
  REQUIRE(ws.size() == 1);
  CHECK(ws[0].to_string().find("w.yaml:15:5: warning: class \"default\" may use metered lte without a limit") == 0);
}

TEST_CASE("warnings: a class without rules and a link without classes", "[policy][warnings]") {
  const std::vector<PolicyError> ws =
      warnings_of(policy_with("classes:\n"
                              "  - {name: voip, links: [fiber], sla: voice}\n"
                              "  - {name: m365, links: [fiber]}\n"
                              "  - {name: default, links: [fiber]}\n",
                              kRules));
  INFO(dump(ws));
  REQUIRE(ws.size() == 2);
  CHECK(ws[0].to_string() == "w.yaml:6:5: warning: link \"lte\" is in no class's links: no traffic ever uses it");
  CHECK(ws[1].to_string() ==
        "w.yaml:15:5: warning: class \"m365\" has no rule: no traffic is ever put in it; add a rule with class: m365");
}

TEST_CASE("warnings: a rule covered only by several earlier rules together", "[policy][warnings]") {
  const std::vector<PolicyError> ws =
      warnings_of(policy_with(kClasses,
                              "rules:\n"                                            // 16
                              "  - {class: voip, protocol: tcp, dst_ports: 80}\n"   // 17
                              "  - {class: voip, protocol: tcp, dst_ports: 443}\n"  // 18
                              "  - {class: default, protocol: tcp, dst_ports: [80, 443]}\n"));
  INFO(dump(ws));
  REQUIRE(ws.size() == 1);
  CHECK(ws[0].to_string() ==
        "w.yaml:19:5: warning: rule 3 (class default) can never match: the rules before it match, between them, every "
        "packet it does (first match wins); move it above them or narrow them");
}
