// LinkBudgets implementation: byte deltas per budgeted link, period roll-over, threshold events once each, and the
// state files (control/budget/budget_state_file.hpp).
#include "control/budget/link_budgets.hpp"

#include <sys/stat.h>

#include <cstdio>

#include <fmt/format.h>

#include "control/budget/budget_state_file.hpp"

namespace wansteer {

namespace {
constexpr uint32_t kThresholds[] = {50, 80, 100};  // percent of the budget announced by an event, once per period

// The state a threshold event moves to: 50 % is still ok, 80 % warns, 100 % is exhausted.
std::string state_at(uint32_t pct) { return pct >= 100 ? "exhausted" : pct >= 80 ? "warning" : "ok"; }

}  // namespace

std::string budget_state(uint64_t used, uint64_t budget) {
  if (budget == 0 || used >= budget) return "exhausted";
  return used * 100 >= budget * 80 ? "warning" : "ok";
}

LinkBudgets::LinkBudgets(const Policy& policy, EventLog& events, std::string state_dir)
    : policy_(policy), events_(events), state_dir_(std::move(state_dir)) {}

void LinkBudgets::emit(const std::string& link, const Entry& e, const std::string& from, const std::string& cause,
                       const std::string& to) {
  Event ev;
  ev.kind = "budget";
  ev.link = link;
  ev.from = from;
  ev.to = to.empty() ? budget_state(e.used, e.spec.bytes) : to;
  ev.cause = cause;
  ev.used_bytes = e.used;
  ev.budget_bytes = e.spec.bytes;
  events_.emit(std::move(ev));
}

// A missing file is a first start; a corrupt one is reported and set aside (budget-LINK.json.corrupt) and the
// period starts from zero: a state file must never keep the office's backup line from starting.
void LinkBudgets::load(const std::string& link, Entry& e, int64_t unix_s) {
  e.bounds = period_at(e.spec.period, e.spec.reset_day, unix_s);
  const std::string path = budget_state_path(state_dir_, link);
  std::string problem;
  const std::optional<BudgetRecord> r = read_budget_state(path, &problem);
  if (!problem.empty()) {
    fmt::print(stderr, "wansteer: warning: link {} budget: {}; counting this period from 0\n", link, problem);
    std::rename(path.c_str(), (path + ".corrupt").c_str());
    e.dirty = e.save_now = true;
    return;
  }
  if (!r) return;
  if (r->period_start == e.bounds.start) {
    e.used = r->used_bytes;
    e.notified_pct = r->notified_pct;
    return;
  }
  // The saved period ended while the daemon was not running: this one starts from zero.
  if (r->used_bytes > 0) emit(link, e, budget_state(r->used_bytes, e.spec.bytes), "period_reset");
  e.dirty = e.save_now = true;
}

void LinkBudgets::roll_period(const std::string& link, Entry& e, int64_t unix_s) {
  if (unix_s < e.bounds.end && unix_s >= e.bounds.start) return;
  const std::string was = budget_state(e.used, e.spec.bytes);
  e.bounds = period_at(e.spec.period, e.spec.reset_day, unix_s);
  e.used = 0;
  e.notified_pct = 0;
  e.dirty = e.save_now = true;
  emit(link, e, was, "period_reset");
}

void LinkBudgets::announce(const std::string& link, Entry& e) {
  for (const uint32_t t : kThresholds) {
    if (e.notified_pct >= t || e.used * 100 < e.spec.bytes * t) continue;
    const std::string was = state_at(e.notified_pct);
    e.notified_pct = t;
    e.save_now = true;
    emit(link, e, was, t == 100 ? "budget_exhausted" : fmt::format("budget_{}pct", t), state_at(t));
  }
}

LinkBudgets::Entry& LinkBudgets::entry_for(const LinkSpec& ls, int64_t unix_s, uint64_t counter) {
  auto [it, fresh] = entries_.try_emplace(ls.name);
  Entry& e = it->second;
  const bool period_changed =
      !fresh && (e.spec.period != ls.budget->period || e.spec.reset_day != ls.budget->reset_day);
  e.spec = *ls.budget;
  if (fresh) {
    // The daemon's counters start at zero, so at the first update all of them are new; a budget added by a
    // reload counts from now.
    e.last_counter = first_update_ ? 0 : counter;
    load(ls.name, e, unix_s);
  } else if (period_changed) {
    e.bounds = period_at(e.spec.period, e.spec.reset_day, unix_s);
    e.dirty = e.save_now = true;
  }
  return e;
}

bool LinkBudgets::update(int64_t unix_s, const std::array<uint64_t, kMaxLinks>& link_bytes) {
  const uint16_t before = exhausted_mask();
  for (size_t l = 0; l < policy_.links.size() && l < kMaxLinks; l++) {
    const LinkSpec& ls = policy_.links[l];
    if (!ls.budget) continue;
    Entry& e = entry_for(ls, unix_s, link_bytes[l]);
    roll_period(ls.name, e, unix_s);
    // Counters only grow; a smaller value means they restarted, and all of it is new.
    const uint64_t now = link_bytes[l];
    const uint64_t delta = now >= e.last_counter ? now - e.last_counter : now;
    e.last_counter = now;
    if (delta > 0) {
      e.used += delta;
      e.dirty = true;
    }
    announce(ls.name, e);
  }
  first_update_ = false;
  save(unix_s, false);
  return exhausted_mask() != before;
}

void LinkBudgets::write(const std::string& link, Entry& e, int64_t unix_s) {
  ::mkdir(state_dir_.c_str(), 0755);  // the usual case: it exists already (EEXIST)
  std::string err;
  if (write_budget_state(budget_state_path(state_dir_, link), BudgetRecord{e.bounds.start, e.used, e.notified_pct},
                         &err)) {
    e.dirty = e.save_now = false;
    e.last_error.clear();
  } else if (err != e.last_error) {
    fmt::print(stderr, "wansteer: warning: link {} budget state not saved: {}\n", link, err);
    e.last_error = err;
  }
  e.last_save = unix_s;  // a failing disk is retried at the normal pace, not every tick
}

void LinkBudgets::save(int64_t unix_s, bool force) {
  for (auto& [name, e] : entries_) {
    if (!e.dirty && !e.save_now) continue;
    if (force || e.save_now || unix_s - e.last_save >= kSaveSeconds) write(name, e, unix_s);
  }
}

uint16_t LinkBudgets::exhausted_mask() const {
  uint16_t mask = 0;
  for (size_t l = 0; l < policy_.links.size() && l < kMaxLinks; l++) {
    const LinkSpec& ls = policy_.links[l];
    if (!ls.budget) continue;
    const auto it = entries_.find(ls.name);
    if (it != entries_.end() && it->second.used >= it->second.spec.bytes) mask = static_cast<uint16_t>(mask | 1u << l);
  }
  return mask;
}

std::optional<BudgetView> LinkBudgets::view(const std::string& link) const {
  const int l = policy_.link_index(link);
  if (l < 0 || !policy_.links[l].budget) return std::nullopt;
  const auto it = entries_.find(link);
  BudgetView v;
  v.link = link;
  const BudgetSpec& spec = *policy_.links[l].budget;
  v.budget_bytes = spec.bytes;
  v.period = period_name(spec.period);
  if (it != entries_.end()) {
    v.used_bytes = it->second.used;
    v.period_start = it->second.bounds.start;
    v.period_end = it->second.bounds.end;
  }
  v.state = budget_state(v.used_bytes, v.budget_bytes);
  return v;
}

std::vector<BudgetView> LinkBudgets::views() const {
  std::vector<BudgetView> out;
  for (const LinkSpec& ls : policy_.links)
    if (auto v = view(ls.name)) out.push_back(std::move(*v));
  return out;
}

}  // namespace wansteer
