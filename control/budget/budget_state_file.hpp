// A link's budget state on disk (STATE_DIR/budget-LINK.json): the period it counts, the bytes used in it and the
// highest threshold already announced, so a restart neither forgets usage nor repeats events.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace wansteer {

struct BudgetRecord {
  int64_t period_start = 0;   // unix seconds of the counted period's start
  uint64_t used_bytes = 0;    // both directions, since period_start
  uint32_t notified_pct = 0;  // 0, 50, 80 or 100: the highest threshold whose event was emitted
};

std::string budget_state_path(const std::string& state_dir, const std::string& link);

// nullopt with *problem empty: no file (a first start). nullopt with *problem set: unreadable or corrupt, saying
// why (the caller warns and starts from zero). A record: the file's.
std::optional<BudgetRecord> read_budget_state(const std::string& path, std::string* problem);

// Writes a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the directory: a crash
// leaves the old file or the new one, never a torn one. False with *error (errno's text) on failure.
bool write_budget_state(const std::string& path, const BudgetRecord& r, std::string* error);

}  // namespace wansteer
