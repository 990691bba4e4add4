// Budget periods on std::chrono's civil calendar (UTC days): no time zone database, no mktime.
#include "control/budget/budget_period.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>

namespace wansteer {

namespace {

using std::chrono::days;
using std::chrono::sys_days;

int64_t seconds_of(sys_days d) { return static_cast<int64_t>(d.time_since_epoch().count()) * 86400; }

sys_days day_of(int64_t unix_s) {
  // Floor division: a moment before 1970 still belongs to the day it falls in.
  const int64_t d = unix_s >= 0 ? unix_s / 86400 : -((-unix_s + 86399) / 86400);
  return sys_days{days{d}};
}

// The reset day of month `ym`: reset_day, or the month's last day when the month is shorter.
sys_days reset_in(std::chrono::year_month ym, uint32_t reset_day) {
  const unsigned last = static_cast<unsigned>((ym / std::chrono::last).day());
  return sys_days{ym / std::chrono::day{std::min(reset_day, last)}};
}

}  // namespace

PeriodBounds period_at(BudgetPeriod period, uint32_t reset_day, int64_t unix_s) {
  const sys_days today = day_of(unix_s);
  switch (period) {
    case BudgetPeriod::daily:
      return {seconds_of(today), seconds_of(today + days{1})};
    case BudgetPeriod::weekly: {
      const unsigned wd = std::chrono::weekday{today}.iso_encoding();  // 1 = Monday .. 7 = Sunday
      const unsigned want = std::clamp(reset_day, 1u, 7u);
      const sys_days start = today - days{(wd + 7 - want) % 7};
      return {seconds_of(start), seconds_of(start + days{7})};
    }
    case BudgetPeriod::monthly:
      break;
  }
  const unsigned rd = std::clamp(reset_day, 1u, 31u);
  const std::chrono::year_month_day ymd{today};
  const std::chrono::year_month this_month{ymd.year(), ymd.month()};
  const sys_days here = reset_in(this_month, rd);
  if (today >= here) return {seconds_of(here), seconds_of(reset_in(this_month + std::chrono::months{1}, rd))};
  return {seconds_of(reset_in(this_month - std::chrono::months{1}, rd)), seconds_of(here)};
}

const char* period_name(BudgetPeriod p) {
  switch (p) {
    case BudgetPeriod::daily:
      return "daily";
    case BudgetPeriod::weekly:
      return "weekly";
    case BudgetPeriod::monthly:
      break;
  }
  return "monthly";
}

std::string size_str(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1000 && u + 1 < std::size(kUnits)) v /= 1000, u++;
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.4g} {}", v, kUnits[u]);
}

std::string utc_time_str(int64_t unix_s) {
  const sys_days d = day_of(unix_s);
  const std::chrono::year_month_day ymd{d};
  const int64_t secs = unix_s - seconds_of(d);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), secs / 3600, secs / 60 % 60,
                     secs % 60);
}

}  // namespace wansteer
