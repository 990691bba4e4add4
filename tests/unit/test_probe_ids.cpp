// The probe-id contract: every (link, target) within the limits maps to a distinct port and ICMP id that decode
// back to it, ids outside the limits decode to nothing, the worker's port test covers exactly the scheme, and the
// policy accepts as many probe targets per link as the scheme has room for and no more.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "control/policy/policy.hpp"
#include "dataplane/probe_ids.hpp"

using namespace wansteer;

TEST_CASE("probe ids: every link and target round-trips through port and ICMP id", "[probe_ids]") {
  std::set<uint16_t> ports, icmp_ids;
  for (uint32_t l = 0; l < kMaxLinks; l++)
    for (uint32_t t = 0; t < kMaxProbeTargets; t++) {
      const ProbeSlot want{l, t};
      const uint16_t port = probe_port(l, t);
      const uint16_t id = probe_icmp_id(l, t);
      CHECK(probe_slot_of_port(port) == want);
      CHECK(probe_slot_of_icmp_id(id) == want);
      CHECK(is_probe_port(port));
      ports.insert(port);
      icmp_ids.insert(id);
    }
  CHECK(ports.size() == kMaxLinks * kMaxProbeTargets);  // no two targets share a port
  CHECK(icmp_ids.size() == kMaxLinks * kMaxProbeTargets);
}

TEST_CASE("probe ids: the wire values stay link * 16 + target from the same bases", "[probe_ids]") {
  // Captures, firewall rules and the lab read these numbers: the contract must not renumber them.
  CHECK(probe_port(0, 0) == 40860);
  CHECK(probe_port(1, 2) == 40860 + 18);
  CHECK(probe_icmp_id(7, 7) == 0x5700 + 7 * 16 + 7);
  CHECK(kProbeIdCount == 128);
}

TEST_CASE("probe ids: ids beyond the limits decode to nothing", "[probe_ids]") {
  CHECK_FALSE(probe_slot_of_port(kProbePortBase - 1));
  CHECK_FALSE(probe_slot_of_port(kProbePortBase + kProbeIdCount));
  CHECK_FALSE(probe_slot_of_port(probe_port(0, 0) + kMaxProbeTargets));  // target 8 of link 0: over the limit
  CHECK_FALSE(probe_slot_of_icmp_id(kProbeIcmpIdBase - 1));
  CHECK_FALSE(probe_slot_of_icmp_id(kProbeIcmpIdBase + kProbeIdCount));
  CHECK_FALSE(is_probe_port(kProbePortBase - 1));
  CHECK_FALSE(is_probe_port(kProbePortBase + kProbeIdCount));
  CHECK(is_probe_port(kProbePortBase + kProbeIdCount - 1));
}

namespace {

// office.yaml with its probing targets replaced by `n` ICMP targets.
PolicyResult office_with_targets(uint32_t n) {
  std::ifstream in(std::string(WANSTEER_SOURCE_DIR) + "/policies/office.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const std::string from = "probing:\n  targets:\n";
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  const size_t end = text.find("  interval_ms:", at);
  std::string targets;
  for (uint32_t i = 0; i < n; i++) targets += fmt::format("    - {{address: 192.0.2.{}, kind: icmp}}\n", i + 1);
  text.replace(at + from.size(), end - at - from.size(), targets);
  return parse_policy(text, "office.yaml", std::string(WANSTEER_SOURCE_DIR) + "/policies");
}

}  // namespace

TEST_CASE("probe ids: the policy takes kMaxProbeTargets targets per link and refuses one more", "[probe_ids]") {
  PolicyResult ok = office_with_targets(kMaxProbeTargets);
  CHECK(ok.ok());
  REQUIRE(ok.policy);
  CHECK(ok.policy->links[0].probe.targets.size() == kMaxProbeTargets);
  PolicyResult over = office_with_targets(kMaxProbeTargets + 1);
  REQUIRE_FALSE(over.ok());
  CHECK(over.errors[0].to_string().find(fmt::format("at most {} probe targets per link", kMaxProbeTargets)) !=
        std::string::npos);
}
