// Policy diff: each kind of change between a running policy and a new one, in operator words, marked live or
// start-only; port and link changes are what a reload refuses.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "control/policy/policy.hpp"
#include "control/policy/policy_diff.hpp"

using namespace wansteer;

namespace {

const std::string kBase =
    "lan:\n"
    "  device: net_null0\n"
    "  subnets: [{address: 192.168.10.1/24}]\n"
    "links:\n"
    "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1}\n"
    "  - name: lte\n"
    "    device: net_null2\n"
    "    address: 100.64.2.2/30\n"
    "    gateway: 100.64.2.1\n"
    "    role: backup\n"
    "    capacity: {up: 5mbit}\n"
    "classes:\n"
    "  - {name: voip, links: [fiber, lte], sla: voice}\n"
    "  - {name: default, links: [fiber, lte]}\n"
    "rules:\n"
    "  - {class: voip, dscp: [46]}\n";

Policy load(const std::string& text) {
  PolicyResult r = parse_policy(text, "d.yaml", ".");
  INFO((r.errors.empty() ? std::string() : r.errors[0].to_string()));
  REQUIRE(r.ok());
  return std::move(*r.policy);
}

// The new policy: kBase with `from` replaced by `to` (which must occur), or with `extra` appended.
std::vector<PolicyChange> diff_edit(const std::string& from, const std::string& to) {
  std::string next = kBase;
  const size_t at = next.find(from);
  REQUIRE(at != std::string::npos);
  next.replace(at, from.size(), to);
  return diff_policies(load(kBase), load(next));
}

std::string texts(const std::vector<PolicyChange>& cs) {
  std::string s;
  for (const auto& c : cs) s += c.text() + (c.live ? " [live]\n" : " [restart]\n");
  return s;
}

}  // namespace

TEST_CASE("policy diff: the same policy has no changes", "[policy_diff]") {
  CHECK(diff_policies(load(kBase), load(kBase)).empty());
}

TEST_CASE("policy diff: a link's capacity is live, in the operator's units", "[policy_diff]") {
  const auto cs = diff_edit("capacity: {up: 5mbit}", "capacity: {up: 10mbit}");
  INFO(texts(cs));
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].text() == "links.lte.capacity.up: 5mbit -> 10mbit");
  CHECK(cs[0].live);
  CHECK_FALSE(changes_ports(cs));
}

TEST_CASE("policy diff: a class added and a rule added", "[policy_diff]") {
  std::string next = kBase + "  - {class: guest, dscp: [8]}\n";  // rules is the last list
  const std::string dflt = "  - {name: default, links: [fiber, lte]}\n";
  next.replace(next.find(dflt), dflt.size(), "  - {name: guest, links: [fiber]}\n" + dflt);
  const auto cs = diff_policies(load(kBase), load(next));
  const std::string all = texts(cs);
  INFO(all);
  CHECK(all.find("classes.guest: added [live]") != std::string::npos);
  CHECK(all.find("rules: 1 -> 2 [live]") != std::string::npos);
  CHECK(all.find("shaper.priority") != std::string::npos);  // guest joins the shaper's order
}

TEST_CASE("policy diff: a class removed, a class's links changed", "[policy_diff]") {
  std::string next = kBase;
  auto edit = [&](const std::string& from, const std::string& to) {
    REQUIRE(next.find(from) != std::string::npos);
    next.replace(next.find(from), from.size(), to);
  };
  edit("  - {name: voip, links: [fiber, lte], sla: voice}\n", "");
  edit("  - {name: default, links: [fiber, lte]}", "  - {name: default, links: [fiber]}");
  edit("rules:\n  - {class: voip, dscp: [46]}\n", "");
  const auto cs = diff_policies(load(kBase), load(next));
  const std::string all = texts(cs);
  INFO(all);
  CHECK(all.find("classes.voip: removed [live]") != std::string::npos);
  CHECK(all.find("classes.default.links: fiber, lte -> fiber [live]") != std::string::npos);
  CHECK(all.find("rules: 1 -> 0 [live]") != std::string::npos);
}

TEST_CASE("policy diff: a rule changed in place is counted", "[policy_diff]") {
  const auto cs = diff_edit("dscp: [46]", "dscp: [34]");
  INFO(texts(cs));
  REQUIRE(cs.size() == 1);
  CHECK(cs[0].text() == "rules: 1 rules -> 1 of them changed");
  CHECK(cs[0].live);
}

TEST_CASE("policy diff: start-only keys are marked, and only port ones make a reload refuse", "[policy_diff]") {
  SECTION("metrics.listen") {
    std::string next = kBase + "metrics: {listen: \"127.0.0.1:9470\"}\n";
    const auto cs = diff_policies(load(kBase), load(next));
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].text() == "metrics.listen: (default) -> 127.0.0.1:9470");
    CHECK_FALSE(cs[0].live);
    CHECK_FALSE(changes_ports(cs));
  }
  SECTION("flow_cache.size and nat.sessions, while an idle timeout is live") {
    const auto cs = diff_policies(load(kBase), load(kBase + "flow_cache: {size: 1024, idle_timeout_s: 60}\n"
                                                            "nat: {sessions: 2048}\n"));
    const std::string all = texts(cs);
    INFO(all);
    CHECK(all.find("flow_cache.size: 65536 -> 1024 [restart]") != std::string::npos);
    CHECK(all.find("flow_cache.idle_timeout_s: 30 -> 60 [live]") != std::string::npos);
    CHECK(all.find("nat.sessions: 65536 -> 2048 [restart]") != std::string::npos);
    CHECK_FALSE(changes_ports(cs));
  }
  SECTION("probe settings") {
    const auto cs = diff_edit("    role: backup\n", "    role: backup\n    probe: {interval_ms: 100}\n");
    INFO(texts(cs));
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].key == "links.lte.probe");
    CHECK_FALSE(cs[0].live);
    CHECK_FALSE(changes_ports(cs));
  }
  SECTION("lan.device") {
    const auto cs = diff_edit("device: net_null0", "device: net_null5");
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].text() == "lan.device: net_null0 -> net_null5");
    CHECK(changes_ports(cs));
  }
  SECTION("a link's device") {
    const auto cs = diff_edit("device: net_null2", "device: net_null7");
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].text() == "links.lte.device: net_null2 -> net_null7");
    CHECK(changes_ports(cs));
  }
  SECTION("a link renamed: the links list as a whole") {
    std::string next = kBase;
    for (size_t at; (at = next.find("lte")) != std::string::npos;) next.replace(at, 3, "cell");
    const auto cs = diff_policies(load(kBase), load(next));
    const std::string all = texts(cs);
    INFO(all);
    CHECK(all.find("links: fiber, lte -> fiber, cell [restart]") != std::string::npos);
    CHECK(changes_ports(cs));
  }
  SECTION("a static address turned to DHCP") {
    const auto cs = diff_edit("    address: 100.64.2.2/30\n    gateway: 100.64.2.1\n", "    address: dhcp\n");
    INFO(texts(cs));
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].text() == "links.lte.address: 100.64.2.2/30 -> dhcp");
    CHECK(changes_ports(cs));
  }
  SECTION("a static address changed is live") {
    const auto cs = diff_edit("address: 100.64.2.2/30", "address: 100.64.2.2/29");
    REQUIRE(cs.size() == 1);
    CHECK(cs[0].live);
    CHECK_FALSE(changes_ports(cs));
  }
}

TEST_CASE("policy diff: start-only keys are listed for the docs", "[policy_diff]") {
  const auto& keys = start_only_keys();
  CHECK(std::find(keys.begin(), keys.end(), "metrics.listen") != keys.end());
  CHECK(std::find(keys.begin(), keys.end(), "lan.device") != keys.end());
}
