// What differs between the running policy and a new one, key by key in operator words ("links.lte.capacity.up:
// 5mbit -> 10mbit"), each marked live (a reload applies it) or start-only (only a restart does). Pure: no I/O.
#pragma once
#include <string>
#include <vector>

#include "control/policy/policy_types.hpp"

namespace wansteer {

struct PolicyChange {
  std::string key;           // e.g. "links.lte.capacity.up", "classes.guest", "rules"
  std::string old_value;     // "" for an added key
  std::string new_value;     // "" for a removed key
  bool live = true;          // false: start-only, a reload keeps the running value until wansteer restarts
  std::string text() const;  // "key: old -> new", "key: added", "key: removed"
};

// The changes from `running` to `next`, in policy order (lan, links, classes, rules, limits, shaper, tables,
// metrics). Empty when they are the same for everything wansteer uses.
std::vector<PolicyChange> diff_policies(const Policy& running, const Policy& next);

// True when `changes` holds a start-only change of the ports or links (device, count, order, names, DHCP): a
// reload cannot run such a policy at all, it is refused whole.
bool changes_ports(const std::vector<PolicyChange>& changes);

// Keys a reload never applies, for --help and the docs: "lan.device", "links (count, order, names)", ...
const std::vector<std::string>& start_only_keys();

}  // namespace wansteer
