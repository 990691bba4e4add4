// The probe-id contract: every (link, target) within the limits maps to a distinct port and ICMP id that decode
// back to it, ids outside the limits decode to nothing, and the worker's port test covers exactly the scheme.
#include <catch2/catch.hpp>

#include <set>

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
