// Warnings on a valid policy: what loads but cannot do what it seems to say (a class that can never send, a rule
// that can never match, a shaper without an upstream rate, unmatched traffic free to spend a metered line).
#pragma once
#include <vector>

#include "control/policy/policy_types.hpp"

namespace wansteer {

// Every warning for `policy` (loaded without errors), with FILE:LINE:COLUMN, in file order.
std::vector<PolicyError> policy_warnings(const Policy& policy);

// Rules that can never match because an earlier rule matches every packet they do (part of policy_warnings).
std::vector<PolicyError> rule_shadow_warnings(const Policy& policy);

}  // namespace wansteer
