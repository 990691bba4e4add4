// LinkBudgets: the data budgets of metered links. Counts each budgeted link's bytes (both directions, from its
// port's counters), starts new periods, announces 50/80/100 % and resets as events, keeps its state in a file per
// link, and says which links are exhausted (the planner and the egress plan act on that). Control thread only.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/budget/budget_period.hpp"
#include "control/budget/budget_view.hpp"
#include "control/policy/policy.hpp"
#include "control/steering/events.hpp"

namespace wansteer {

inline constexpr const char* kDefaultStateDir = "/var/lib/wansteer";

class LinkBudgets {
 public:
  static constexpr int64_t kSaveSeconds = 10;  // a changed state is written at least this often

  // `policy` is read at every call (a reload replaces it in place).
  LinkBudgets(const Policy& policy, EventLog& events, std::string state_dir = kDefaultStateDir);

  // `link_bytes[l]`: link l's port bytes, received plus sent, since the daemon started. Counts what is new since the
  // last call, rolls periods over, loads a link's state file the first time it sees its budget, emits events and
  // writes changed state (see save). True when the set of exhausted links changed (replan and publish).
  bool update(int64_t unix_s, const std::array<uint64_t, kMaxLinks>& link_bytes);
  // Writes every changed state file now (shutdown), or only those due (`force` false).
  void save(int64_t unix_s, bool force);

  uint16_t exhausted_mask() const;        // bit l: link l (current policy) has spent its budget
  std::vector<BudgetView> views() const;  // budgeted links, in policy order
  std::optional<BudgetView> view(const std::string& link) const;
  const std::string& state_dir() const { return state_dir_; }
  void set_state_dir(std::string dir) { state_dir_ = std::move(dir); }  // before the first update

 private:
  struct Entry {
    BudgetSpec spec;
    PeriodBounds bounds;
    uint64_t used = 0;
    uint32_t notified_pct = 0;
    uint64_t last_counter = 0;  // link_bytes at the last update
    bool dirty = false, save_now = false;
    int64_t last_save = 0;
    std::string last_error;  // the last write error reported (reported again only when it changes)
  };
  Entry& entry_for(const LinkSpec& ls, int64_t unix_s, uint64_t counter);
  void load(const std::string& link, Entry& e, int64_t unix_s);
  void roll_period(const std::string& link, Entry& e, int64_t unix_s);
  void announce(const std::string& link, Entry& e);
  // `to`: the state the event reports ("" = the state now).
  void emit(const std::string& link, const Entry& e, const std::string& from, const std::string& cause,
            const std::string& to = "");
  void write(const std::string& link, Entry& e, int64_t unix_s);

  const Policy& policy_;
  EventLog& events_;
  std::string state_dir_;
  bool first_update_ = true;
  std::map<std::string, Entry> entries_;  // by link name: survives reloads that reorder links
};

// "ok", "warning" or "exhausted" for `used` of `budget`.
std::string budget_state(uint64_t used, uint64_t budget);

}  // namespace wansteer
