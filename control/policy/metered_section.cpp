// A link's metered key: `metered: true` (billed by volume: probe slowly while idle) or a map with a data budget,
// `metered: {budget: 20GB, period: monthly, reset_day: 1}`, which implies metered: true.
#include <fmt/format.h>

#include "control/policy/sections.hpp"
#include "control/policy/value_readers.hpp"

namespace wansteer::policy_reader {

namespace {

constexpr uint64_t kMinBudget = 1000;                 // 1 kB: small budgets are for tests
constexpr uint64_t kMaxBudget = 1000000000000000ull;  // 1 PB

// Monthly: day of month 1..31; weekly: 1..7 (Monday = 1) or the day's name; daily: not allowed.
void read_reset_day(Diagnostics& diag, const Field& f, const std::string& what, BudgetSpec& spec) {
  if (spec.period == BudgetPeriod::daily) {
    diag.error(at(f),
               fmt::format("{}: reset_day is not used with period: daily (the budget resets at 00:00 UTC)", what));
    return;
  }
  if (spec.period == BudgetPeriod::weekly && f.value.IsScalar() && !f.value.Scalar().empty() &&
      !std::isdigit(static_cast<unsigned char>(f.value.Scalar()[0]))) {
    static constexpr const char* kDays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};
    if (auto d = read_choice(diag, item(f), what + " reset_day",
                             {kDays[0], kDays[1], kDays[2], kDays[3], kDays[4], kDays[5], kDays[6]}))
      for (uint32_t i = 0; i < 7; i++)
        if (*d == kDays[i]) spec.reset_day = i + 1;
    return;
  }
  const uint64_t hi = spec.period == BudgetPeriod::weekly ? 7 : 31;
  if (auto v = read_integer(diag, item(f), what + " reset_day", 1, hi)) spec.reset_day = static_cast<uint32_t>(*v);
}

}  // namespace

void read_metered(Diagnostics& diag, const Field& f, const std::string& what, LinkSpec& spec) {
  if (f.value.IsScalar()) {
    if (auto b = read_boolean(diag, item(f), what + " metered")) spec.metered = *b;
    return;
  }
  auto m = read_map(diag, item(f), what + " metered", {"budget", "period", "reset_day"});
  if (!m) return;
  spec.metered = true;
  BudgetSpec budget;
  const std::string sub = what + " metered";
  if (!require_key(diag, *m, "budget", sub)) return;
  auto bytes = read_size(diag, item(*m->get("budget")), sub + " budget", kMinBudget, kMaxBudget);
  if (const Field* p = m->get("period"))
    if (auto c = read_choice(diag, item(*p), sub + " period", {"daily", "weekly", "monthly"}))
      budget.period = *c == "daily"    ? BudgetPeriod::daily
                      : *c == "weekly" ? BudgetPeriod::weekly
                                       : BudgetPeriod::monthly;
  if (const Field* r = m->get("reset_day")) read_reset_day(diag, *r, sub, budget);
  if (!bytes) return;
  budget.bytes = *bytes;
  spec.budget = budget;
}

}  // namespace wansteer::policy_reader
