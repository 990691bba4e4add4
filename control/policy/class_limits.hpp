// A class's rate limits as the policy writes them: limit: {rate, burst, peak_rate, ...} and on_backup.
#pragma once
#include <optional>
#include <string>

#include "control/policy/yaml_reader.hpp"

namespace wansteer::policy_reader {

// {rate, burst, peak_rate, peak_burst, exceed, remark_dscp}; nullopt when any key is wrong.
std::optional<RateLimitSpec> read_rate_limit(Diagnostics& diag, const Item& it, const std::string& what);

// on_backup: block | unlimited | {limit: {...}}
void read_on_backup(Diagnostics& diag, const Field& f, const std::string& what, ClassLimitSpec& spec);

// on_budget_exhausted: block | allow | {limit: RATE} | {limit: {rate, burst, ...}}
void read_on_budget_exhausted(Diagnostics& diag, const Field& f, const std::string& what, ClassLimitSpec& spec);

}  // namespace wansteer::policy_reader
