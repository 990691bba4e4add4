// BudgetView: one metered link's data budget as operators see it (wansteerctl show links, metrics, status page).
#pragma once
#include <cstdint>
#include <string>

namespace wansteer {

struct BudgetView {
  std::string link;
  uint64_t used_bytes = 0, budget_bytes = 0;  // both directions, in the current period
  std::string period;                         // daily, weekly, monthly
  int64_t period_start = 0;                   // unix seconds (UTC)
  int64_t period_end = 0;                     // unix seconds: the next reset
  std::string state;                          // ok, warning (>= 80 %), exhausted (>= 100 %)
};

}  // namespace wansteer
