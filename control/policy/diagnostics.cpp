// The policy reader's error sink: errors with FILE:LINE:COLUMN, returned in policy-file order.
#include "control/policy/diagnostics.hpp"

#include <algorithm>
#include <tuple>

namespace wansteer::policy_reader {

void Diagnostics::error_in(SourceLoc where, const YAML::Mark& order, std::string reason) {
  int ol = order.is_null() ? 0 : order.line, oc = order.is_null() ? 0 : order.column;
  pending_.push_back(Pending{PolicyError{std::move(where), std::move(reason)}, ol, oc, pending_.size()});
}

SourceLoc Diagnostics::loc(const YAML::Mark& m) const {
  if (m.is_null()) return SourceLoc{file_, 1, 1};
  return SourceLoc{file_, m.line + 1, m.column + 1};
}

std::vector<PolicyError> Diagnostics::take_in_file_order() {
  std::stable_sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
    return std::tie(a.order_line, a.order_col, a.seq) < std::tie(b.order_line, b.order_col, b.seq);
  });
  std::vector<PolicyError> out;
  for (auto& p : pending_) out.push_back(std::move(p.err));
  pending_.clear();
  return out;
}

}  // namespace wansteer::policy_reader
