// The policy reader's error sink: collects every problem with its FILE:LINE:COLUMN and hands them back in the
// order of the policy file, whatever order the sections found them in.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "control/policy/policy_types.hpp"

namespace wansteer::policy_reader {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // A problem at `m` in the policy file.
  void error(const YAML::Mark& m, std::string reason) { error_in(loc(m), m, std::move(reason)); }
  // A problem at `where` (possibly another file, e.g. a prefix list), sorted as if it were at `order`.
  void error_in(SourceLoc where, const YAML::Mark& order, std::string reason);
  SourceLoc loc(const YAML::Mark& m) const;
  bool empty() const { return pending_.empty(); }
  // Every error so far, in file order (ties keep the order they were reported in).
  std::vector<PolicyError> take_in_file_order();

 private:
  struct Pending {
    PolicyError err;
    int order_line, order_col;  // position in the policy file this error belongs to, for file order
    size_t seq;
  };
  std::string file_;
  std::vector<Pending> pending_;
};

}  // namespace wansteer::policy_reader
