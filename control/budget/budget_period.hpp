// A data budget's periods as calendar arithmetic on UTC days: which period a moment falls in, and when it ends.
// Pure functions of (period, reset_day, time), unit-tested across month ends and leap years.
#pragma once
#include <cstdint>
#include <string>

#include "control/policy/policy.hpp"

namespace wansteer {

struct PeriodBounds {
  int64_t start = 0;  // unix seconds, 00:00 UTC of the period's first day (inclusive)
  int64_t end = 0;    // unix seconds, 00:00 UTC of the next period's first day (exclusive)
};

// The period that `unix_s` falls in. Daily: that day. Weekly: from the last `reset_day` (1 = Monday .. 7 = Sunday).
// Monthly: from the last `reset_day` of a month; a month shorter than reset_day resets on its last day (31 resets on
// 28 or 29 February, 30 April, ...).
PeriodBounds period_at(BudgetPeriod period, uint32_t reset_day, int64_t unix_s);

// "daily", "weekly", "monthly".
const char* period_name(BudgetPeriod p);

// A byte count for people, 1000-based as carriers bill: "950 B", "200 kB", "1.5 MB", "20 GB".
std::string size_str(uint64_t bytes);

// "2026-12-01T00:00:00Z".
std::string utc_time_str(int64_t unix_s);

}  // namespace wansteer
