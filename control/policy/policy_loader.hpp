// The policy loader's API: a policy file (or text) in, a validated Policy or every error in file order out.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "control/policy/policy_types.hpp"

namespace wansteer {

struct PolicyResult {
  std::optional<Policy> policy;       // set only when errors is empty
  std::vector<PolicyError> errors;    // every problem found, in file order
  std::vector<PolicyError> warnings;  // valid policies only: what loads but cannot work as written (file order)
  bool ok() const { return policy.has_value(); }
};

// Loads and validates a policy file; prefix-list files are resolved relative to its directory.
PolicyResult load_policy(const std::string& path);

// Same, from text already in memory (tests); `file` names it in errors, `base_dir` resolves prefix lists.
PolicyResult parse_policy(const std::string& text, const std::string& file, const std::string& base_dir);

}  // namespace wansteer
