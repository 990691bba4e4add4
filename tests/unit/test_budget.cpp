// Unit tests for metered links' data budgets: the policy keys (metered map, on_budget_exhausted) and their errors,
// period arithmetic across month ends and leap years, the state file (round trip, corrupt, missing), LinkBudgets
// (thresholds once, reset, restart), and what the planner and the egress plan do with a spent budget.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "control/budget/budget_period.hpp"
#include "control/budget/budget_state_file.hpp"
#include "control/budget/link_budgets.hpp"
#include "control/policy/policy.hpp"
#include "control/runtime/egress_plan.hpp"
#include "control/steering/planner.hpp"

using namespace wansteer;
namespace fs = std::filesystem;

namespace {

// 2026-01-31T12:00:00Z and friends, from a civil date.
int64_t utc(int y, unsigned m, unsigned d, int h = 0) {
  const auto days = std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
  return static_cast<int64_t>(days.time_since_epoch().count()) * 86400 + h * 3600;
}

std::string policy_text(const std::string& lte_metered, const std::string& voip_extra = "") {
  return "name: t\n"
         "lan:\n"
         "  device: net_null0\n"
         "  subnets: [{address: 192.168.10.1/24}]\n"
         "links:\n"
         "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1}\n"
         "  - name: lte\n"
         "    device: net_null2\n"
         "    address: 100.64.2.2/30\n"
         "    gateway: 100.64.2.1\n"
         "    metered: " +
         lte_metered +
         "\n"
         "classes:\n"
         "  - name: voip\n"
         "    links: [fiber, lte]\n" +
         voip_extra + "  - {name: default, links: [lte, fiber]}\n";
}

Policy load(const std::string& text) {
  auto r = parse_policy(text, "t.yaml", ".");
  INFO((r.errors.empty() ? std::string() : r.errors[0].to_string()));
  REQUIRE(r.ok());
  return *r.policy;
}

PolicyError single_error(const std::string& text) {
  auto r = parse_policy(text, "t.yaml", ".");
  REQUIRE_FALSE(r.ok());
  INFO(r.errors[0].to_string());
  REQUIRE(r.errors.size() == 1);
  return r.errors[0];
}

struct StateDir {
  fs::path path;
  StateDir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("wansteer-budget-test-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path);
  }
  ~StateDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::array<uint64_t, kMaxLinks> lte_bytes(uint64_t n) {
  std::array<uint64_t, kMaxLinks> b{};
  b[1] = n;
  return b;
}

}  // namespace

TEST_CASE("budget: metered takes a boolean or a budget map", "[budget][policy]") {
  const Policy plain = load(policy_text("true"));
  CHECK(plain.links[1].metered);
  CHECK_FALSE(plain.links[1].budget);
  const Policy p = load(policy_text("{budget: 20GB, period: monthly, reset_day: 15}"));
  CHECK(p.links[1].metered);  // a budget implies metered (slow probing while idle)
  REQUIRE(p.links[1].budget);
  CHECK(p.links[1].budget->bytes == 20'000'000'000ull);
  CHECK(p.links[1].budget->period == BudgetPeriod::monthly);
  CHECK(p.links[1].budget->reset_day == 15);
  const Policy w = load(policy_text("{budget: 2gib, period: weekly, reset_day: sunday}"));
  CHECK(w.links[1].budget->bytes == 2ull << 30);
  CHECK(w.links[1].budget->reset_day == 7);
  const Policy d = load(policy_text("{budget: 500MB, period: daily}"));
  CHECK(d.links[1].budget->period == BudgetPeriod::daily);
  CHECK_FALSE(p.links[0].budget);
}

TEST_CASE("budget: on_budget_exhausted is block by default, or allow, or a limit", "[budget][policy]") {
  const std::string metered = "{budget: 1GB}";
  CHECK(load(policy_text(metered)).class_limits[0].on_budget == BudgetAction::block);
  CHECK(load(policy_text(metered, "    on_budget_exhausted: allow\n")).class_limits[0].on_budget ==
        BudgetAction::allow);
  const Policy l = load(policy_text(metered, "    on_budget_exhausted: {limit: 64kbit}\n"));
  CHECK(l.class_limits[0].on_budget == BudgetAction::limit);
  CHECK(l.class_limits[0].budget_limit.rate_bps == 64000);
  const Policy m = load(policy_text(metered, "    on_budget_exhausted: {limit: {rate: 128kbit, burst: 3000}}\n"));
  CHECK(m.class_limits[0].budget_limit.rate_bps == 128000);
  CHECK(m.class_limits[0].budget_limit.burst_bytes == 3000);
}

TEST_CASE("budget: mistakes are reported at their line and column", "[budget][policy]") {
  PolicyError e = single_error(policy_text("{budget: 20GBit}"));
  CHECK(e.loc.line == 11);
  CHECK(e.loc.column == 23);
  CHECK(e.reason.find("link \"lte\" metered budget \"20GBit\" is not a size") != std::string::npos);
  e = single_error(policy_text("{budget: 20GB, period: montly}"));
  CHECK(e.loc.line == 11);
  CHECK(e.reason.find("did you mean \"monthly\"") != std::string::npos);
  e = single_error(policy_text("{budget: 20GB, reset_day: 32}"));
  CHECK(e.reason.find("reset_day 32 is out of range: allowed 1 to 31") != std::string::npos);
  e = single_error(policy_text("{budget: 20GB, period: daily, reset_day: 3}"));
  CHECK(e.reason.find("reset_day is not used with period: daily") != std::string::npos);
  e = single_error(policy_text("{period: weekly}"));
  CHECK(e.reason.find("budget") != std::string::npos);
  e = single_error(policy_text("{budget: 20GB, budjet: 1}"));
  CHECK(e.reason.find("did you mean \"budget\"") != std::string::npos);
  e = single_error(policy_text("{budget: 1GB}", "    on_budget_exhausted: drop\n"));
  CHECK(e.loc.line == 15);
  CHECK(e.reason.find("on_budget_exhausted") != std::string::npos);
  CHECK(e.reason.find("block") != std::string::npos);
}

TEST_CASE("budget: periods across month ends and leap years", "[budget][period]") {
  // Monthly on the 1st.
  PeriodBounds b = period_at(BudgetPeriod::monthly, 1, utc(2026, 12, 31, 23));
  CHECK(b.start == utc(2026, 12, 1));
  CHECK(b.end == utc(2027, 1, 1));
  // reset_day 31: February resets on its last day, March on the 31st.
  b = period_at(BudgetPeriod::monthly, 31, utc(2026, 2, 15));
  CHECK(b.start == utc(2026, 1, 31));
  CHECK(b.end == utc(2026, 2, 28));
  b = period_at(BudgetPeriod::monthly, 31, utc(2026, 2, 28, 1));
  CHECK(b.start == utc(2026, 2, 28));
  CHECK(b.end == utc(2026, 3, 31));
  b = period_at(BudgetPeriod::monthly, 31, utc(2028, 2, 28, 1));  // leap year: the 29th
  CHECK(b.start == utc(2028, 1, 31));
  CHECK(b.end == utc(2028, 2, 29));
  b = period_at(BudgetPeriod::monthly, 30, utc(2026, 4, 30));  // exactly at the reset
  CHECK(b.start == utc(2026, 4, 30));
  CHECK(b.end == utc(2026, 5, 30));
  b = period_at(BudgetPeriod::monthly, 15, utc(2026, 1, 3));  // before this month's reset: from last month's
  CHECK(b.start == utc(2025, 12, 15));
  CHECK(b.end == utc(2026, 1, 15));
  // Weekly: 2026-11-30 is a Monday.
  b = period_at(BudgetPeriod::weekly, 1, utc(2026, 12, 6, 23));
  CHECK(b.start == utc(2026, 11, 30));
  CHECK(b.end == utc(2026, 12, 7));
  b = period_at(BudgetPeriod::weekly, 7, utc(2026, 11, 30, 5));
  CHECK(b.start == utc(2026, 11, 29));
  // Daily.
  b = period_at(BudgetPeriod::daily, 1, utc(2026, 3, 1, 13));
  CHECK(b.start == utc(2026, 3, 1));
  CHECK(b.end == utc(2026, 3, 2));
  CHECK(utc_time_str(utc(2026, 12, 1, 7)) == "2026-12-01T07:00:00Z");
}

TEST_CASE("budget: state file round trip, missing and corrupt", "[budget][state]") {
  StateDir dir;
  const std::string path = budget_state_path(dir.path.string(), "lte");
  std::string problem = "x";
  CHECK_FALSE(read_budget_state(path, &problem));
  CHECK(problem.empty());  // missing: a first start, no warning
  std::string err;
  REQUIRE(write_budget_state(path, BudgetRecord{utc(2026, 11, 1), 123456789012ull, 80}, &err));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  auto r = read_budget_state(path, &problem);
  REQUIRE(r);
  CHECK(r->period_start == utc(2026, 11, 1));
  CHECK(r->used_bytes == 123456789012ull);
  CHECK(r->notified_pct == 80);
  for (const char* bad :
       {"{\"period_start\": 1", "[]", "{\"period_start\": 1, \"used_bytes\": -5, \"notified_pct\": 0}",
        "{\"period_start\": 1, \"used_bytes\": 5, \"notified_pct\": 500}", ""}) {
    std::ofstream(path) << bad;
    CHECK_FALSE(read_budget_state(path, &problem));
    CHECK(problem.find("corrupt") != std::string::npos);
  }
  CHECK_FALSE(write_budget_state((dir.path / "no" / "such" / "dir" / "x.json").string(), BudgetRecord{}, &err));
  CHECK(err.find("cannot create") != std::string::npos);
}

TEST_CASE("budget: thresholds fire once, exhaustion and reset", "[budget][tracker]") {
  StateDir dir;
  const Policy p = load(policy_text("{budget: 200kb, period: daily}"));
  EventLog events;
  const int64_t t0 = utc(2026, 11, 30, 10);
  LinkBudgets b(p, events, dir.path.string());
  CHECK_FALSE(b.update(t0, lte_bytes(0)));
  CHECK(events.total() == 0);
  CHECK_FALSE(b.update(t0 + 1, lte_bytes(99'999)));
  CHECK(events.total() == 0);
  CHECK_FALSE(b.update(t0 + 2, lte_bytes(100'000)));  // 50 %
  REQUIRE(events.total() == 1);
  CHECK(events.recent(1)[0].cause == "budget_50pct");
  CHECK(events.recent(1)[0].used_bytes == 100'000);
  CHECK_FALSE(b.update(t0 + 3, lte_bytes(150'000)));  // still between 50 and 80: nothing new
  CHECK(events.total() == 1);
  CHECK(b.update(t0 + 4, lte_bytes(250'000)));  // 80 and 100 at once: both announced, in order
  REQUIRE(events.total() == 3);
  CHECK(events.recent(2)[0].cause == "budget_80pct");
  CHECK(events.recent(2)[0].from == "ok");
  CHECK(events.recent(2)[0].to == "warning");
  CHECK(events.recent(2)[1].from == "warning");
  CHECK(events.recent(2)[1].cause == "budget_exhausted");
  CHECK(events.recent(2)[1].to == "exhausted");
  CHECK(b.exhausted_mask() == 0b10);
  CHECK_FALSE(b.update(t0 + 5, lte_bytes(300'000)));
  CHECK(events.total() == 3);
  const BudgetView v = *b.view("lte");
  CHECK(v.used_bytes == 300'000);
  CHECK(v.budget_bytes == 200'000);
  CHECK(v.state == "exhausted");
  CHECK(v.period_end == utc(2026, 12, 1));
  CHECK_FALSE(b.view("fiber"));
  // The next day: a new period, the link is back.
  CHECK(b.update(utc(2026, 12, 1, 0) + 1, lte_bytes(300'100)));
  CHECK(events.recent(1)[0].cause == "period_reset");
  CHECK(events.recent(1)[0].from == "exhausted");
  CHECK(b.exhausted_mask() == 0);
  CHECK(b.view("lte")->used_bytes == 100);
}

TEST_CASE("budget: usage and announced thresholds survive a restart", "[budget][tracker][state]") {
  StateDir dir;
  const Policy p = load(policy_text("{budget: 200kb, period: monthly, reset_day: 1}"));
  const int64_t t0 = utc(2026, 11, 30, 10);
  {
    EventLog events;
    LinkBudgets b(p, events, dir.path.string());
    b.update(t0, lte_bytes(170'000));  // 50 and 80 %
    CHECK(events.total() == 2);
    b.save(t0, true);
  }
  EventLog events;
  LinkBudgets again(p, events, dir.path.string());
  CHECK_FALSE(again.update(t0 + 60, lte_bytes(0)));  // a new process: its counters start at 0
  CHECK(again.view("lte")->used_bytes == 170'000);
  CHECK(events.total() == 0);  // 50 and 80 % were announced before the restart
  CHECK(again.update(t0 + 61, lte_bytes(30'000)));
  CHECK(events.total() == 1);
  CHECK(events.recent(1)[0].cause == "budget_exhausted");

  // A corrupt file: a warning, the file set aside, counting from 0.
  std::ofstream(budget_state_path(dir.path.string(), "lte")) << "garbage";
  LinkBudgets fresh(p, events, dir.path.string());
  fresh.update(t0 + 62, lte_bytes(10));
  CHECK(fresh.view("lte")->used_bytes == 10);
  CHECK(fs::exists(budget_state_path(dir.path.string(), "lte") + ".corrupt"));
  std::string problem;
  auto r = read_budget_state(budget_state_path(dir.path.string(), "lte"), &problem);
  REQUIRE(r);  // written again at once, readable
  CHECK(r->used_bytes == 10);

  // A file from an earlier period: that period's usage does not count in this one.
  std::string err;
  REQUIRE(
      write_budget_state(budget_state_path(dir.path.string(), "lte"), BudgetRecord{utc(2026, 10, 1), 999, 50}, &err));
  LinkBudgets later(p, events, dir.path.string());
  later.update(t0, lte_bytes(5));
  CHECK(later.view("lte")->used_bytes == 5);
  CHECK(events.recent(1)[0].cause == "period_reset");
}

TEST_CASE("budget: a spent link blocks only the classes that say so", "[budget][planner]") {
  const Policy p = load(policy_text("{budget: 1GB}", "    on_budget_exhausted: {limit: 64kbit}\n"));
  PlanInput in;
  in.alive = {true, true};
  for (auto& row : in.sla_ok) row.fill(true);
  const uint8_t voip = 0, def = 1, fiber = 0, lte = 1;
  Plan normal = plan_steering(p, in, nullptr);
  CHECK(normal.cls[def].first == lte);
  in.budget_exhausted = 1u << lte;
  Plan spent = plan_steering(p, in, nullptr);
  CHECK(spent.cls[def].first == fiber);  // blocked on lte: moves to fiber
  CHECK_FALSE((spent.table.cls[def].stay_mask >> lte) & 1u);
  in.alive = {false, true};
  spent = plan_steering(p, in, nullptr);
  CHECK(spent.cls[def].first == lte);  // nothing else: still there, the meter drops it by name
  CHECK(spent.cls[voip].first == lte);

  const std::array<bool, kMaxLinks> usable{true, true};
  const EgressPlan e = plan_egress(p, usable, nullptr, 1'000'000'000, 1u << lte);
  CHECK(e.meter[def][lte].mode == MeterMode::budget);
  CHECK(e.meter[voip][lte].mode == MeterMode::limit);
  CHECK(e.meter[voip][lte].cir == 8000);
  CHECK(e.meter[def][fiber].mode == MeterMode::unlimited);
  const EgressPlan back = plan_egress(p, usable, &e, 1'000'000'000, 0);
  CHECK(back.meter[def][lte].mode == MeterMode::unlimited);
  CHECK(back.meter[def][lte].generation != e.meter[def][lte].generation);  // owners reconfigure
}
