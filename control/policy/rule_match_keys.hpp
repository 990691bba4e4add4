// The match keys a rule may use (dscp, protocol, ports, prefixes, prefix lists, vlan, ingress subnet) as one table:
// each row names a key and reads it into the rule being built. The rules section loops over it, and its key list
// (for unknown keys and "did you mean") comes from it.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "control/policy/sections.hpp"

namespace wansteer::policy_reader {

// A policy rule while it is read: everything but the port ranges goes into `base`; the ranges are lists because
// ClassRule holds one range per side and a list becomes several ClassRules.
struct RuleDraft {
  RuleContext& ctx;
  std::string what;  // "rule 3 (class voice)", for messages
  ClassRule base;
  std::vector<PortRange> sports, dports;
};

struct MatchKey {
  const char* name;
  bool (*read)(RuleDraft& rule, const Field& f);  // false when the value is wrong (its errors already reported)
};

// In the order they are read (prefixes before ingress_subnet: its prefix is appended after them) and listed.
std::span<const MatchKey> match_keys();

// "dscp", "protocol", ... as strings, in table order.
std::vector<std::string> match_key_names();

}  // namespace wansteer::policy_reader
