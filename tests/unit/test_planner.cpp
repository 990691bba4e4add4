// Planner tests: priority picks the first usable link in order, balance shares slots by weight, and a class
// with no usable allowed link gets no link (dropped and counted) instead of a forbidden one.
#include <catch2/catch.hpp>

#include "control/steering/planner.hpp"

using namespace wansteer;

namespace {

Policy three_link_policy() {
  Policy p;
  for (const char* n : {"fiber", "cable", "lte"}) {
    LinkSpec l;
    l.name = n;
    p.links.push_back(l);
  }
  p.links[0].weight = 3;
  p.links[1].weight = 1;
  p.links[2].role = LinkRole::backup;
  ClassSpec voip{"voip", SteerMode::priority, {0, 2}, {}};
  ClassSpec guest{"guest", SteerMode::priority, {0}, {}};
  ClassSpec bulk{"bulk", SteerMode::balance, {0, 1}, {}};
  ClassSpec dflt{"default", SteerMode::priority, {2, 1, 0}, {}};
  p.classes = {voip, guest, bulk, dflt};
  p.default_class = 3;
  return p;
}

std::array<bool, kMaxLinks> usable(std::initializer_list<bool> v) {
  std::array<bool, kMaxLinks> a{};
  size_t i = 0;
  for (bool b : v) a[i++] = b;
  return a;
}

}  // namespace

TEST_CASE("priority mode sends every flow to the first usable link in policy order", "[planner]") {
  Policy p = three_link_policy();
  SteeringTable t = plan_steering(p, usable({true, true, true}));
  for (uint32_t h = 0; h < 256; h++) {
    CHECK(t.cls[0].pick(h) == 0);  // voip: fiber
    CHECK(t.cls[3].pick(h) == 2);  // default lists lte first
  }
  CHECK(t.cls[0].allowed_mask == 0b101);
  CHECK(t.cls[0].usable_mask == 0b101);
}

TEST_CASE("priority mode moves to the next allowed link when the first goes down", "[planner]") {
  Policy p = three_link_policy();
  SteeringTable t = plan_steering(p, usable({false, true, true}));
  for (uint32_t h = 0; h < 64; h++) CHECK(t.cls[0].pick(h) == 2);  // voip skips cable: not allowed
  CHECK_FALSE(t.cls[0].usable(0));
  CHECK(t.cls[0].usable(2));
}

TEST_CASE("a class whose allowed links are all down gets no link, never a forbidden one", "[planner]") {
  Policy p = three_link_policy();
  SteeringTable t = plan_steering(p, usable({false, true, true}));
  for (uint32_t h = 0; h < 64; h++) CHECK(t.cls[1].pick(h) == kNoLink);  // guest: fiber only
  CHECK(t.cls[1].usable_mask == 0);
  CHECK(t.cls[1].allowed_mask == 0b001);
}

TEST_CASE("balance mode shares the 64 slots in proportion to link weights", "[planner]") {
  Policy p = three_link_policy();
  SteeringTable t = plan_steering(p, usable({true, true, true}));
  int count[kMaxLinks] = {};
  for (uint32_t s = 0; s < kPickSlots; s++) count[t.cls[2].pick(s)]++;
  CHECK(count[0] == 48);  // weight 3 of 4
  CHECK(count[1] == 16);  // weight 1 of 4
  CHECK(count[2] == 0);   // lte not allowed for bulk

  SteeringTable down = plan_steering(p, usable({true, false, true}));
  for (uint32_t s = 0; s < kPickSlots; s++) CHECK(down.cls[2].pick(s) == 0);
}

TEST_CASE("classes beyond the policy's have no links", "[planner]") {
  Policy p = three_link_policy();
  SteeringTable t = plan_steering(p, usable({true, true, true}));
  CHECK(t.cls[4].pick(7) == kNoLink);
  CHECK(t.cls[kMaxClasses - 1].allowed_mask == 0);
}

namespace {

PlanInput healthy(std::initializer_list<bool> alive) {
  PlanInput in;
  size_t i = 0;
  for (bool b : alive) in.alive[i++] = b;
  for (auto& row : in.sla_ok) row.fill(true);
  return in;
}

}  // namespace

TEST_CASE("SLA: a class leaves a link that breaks its SLA; a laxer class stays", "[planner]") {
  Policy p = three_link_policy();
  PlanInput in = healthy({true, true, true});
  in.sla_ok[0][0] = false;  // voip: fiber out of SLA (e.g. 5 % loss); default (class 3) still fine on it
  Plan plan = plan_steering(p, in, nullptr);
  CHECK(plan.cls[0].first == 2);
  CHECK_FALSE(plan.cls[0].fallback);
  CHECK(plan.table.cls[0].pick(7) == 2);
  CHECK_FALSE(plan.table.cls[0].may_stay(0));  // on_sla_breach: move (default) => cached voip flows leave fiber
  CHECK(plan.table.cls[0].usable(0));          // but fiber is alive
  CHECK(plan.cls[3].first == 2);               // default's order is lte, cable, fiber and all qualify
}

TEST_CASE("SLA: on_sla_breach stay keeps cached flows on an alive link out of SLA", "[planner]") {
  Policy p = three_link_policy();
  p.classes[0].on_sla_breach = OnBreach::stay;
  PlanInput in = healthy({true, true, true});
  in.sla_ok[0][0] = false;
  Plan plan = plan_steering(p, in, nullptr);
  CHECK(plan.table.cls[0].pick(1) == 2);  // new flows go to lte
  CHECK(plan.table.cls[0].may_stay(0));   // existing ones stay on fiber
  in.alive[0] = false;                    // ... until fiber dies
  plan = plan_steering(p, in, nullptr);
  CHECK_FALSE(plan.table.cls[0].may_stay(0));
}

TEST_CASE("SLA: no allowed link meets it: the best alive one is used, not a blackhole", "[planner]") {
  Policy p = three_link_policy();
  PlanInput in = healthy({true, true, true});
  in.sla_ok[0][0] = in.sla_ok[0][2] = false;  // voip allows fiber and lte: both out of SLA
  in.score[0] = link_score(40, 5, 3);         // 80
  in.score[2] = link_score(60, 2, 1);         // 74: lte is less bad
  Plan plan = plan_steering(p, in, nullptr);
  CHECK(plan.cls[0].fallback);
  CHECK(plan.cls[0].first == 2);
  CHECK(plan.table.cls[0].pick(5) == 2);
  CHECK(plan.table.cls[0].may_stay(2));
  CHECK_FALSE(plan.table.cls[0].may_stay(0));
}

TEST_CASE("recovery: flows stay where their NAT mapping lives, return from routed links; per-class overrides",
          "[planner]") {
  Policy p = three_link_policy();
  PlanInput in = healthy({true, true, true});
  REQUIRE(p.classes[0].on_recovery == OnRecovery::automatic);  // the default
  Plan plan = plan_steering(p, in, nullptr);
  CHECK(plan.cls[0].first == 0);
  CHECK(plan.table.cls[0].pick(3) == 0);  // new flows take fiber
  CHECK(plan.table.cls[0].may_stay(2));   // a voip flow still on lte (NATed there) stays: its sessions survive
  p.links[2].nat = false;                 // a routed link: nothing to lose by moving, so it returns
  plan = plan_steering(p, in, nullptr);
  CHECK_FALSE(plan.table.cls[0].may_stay(2));
  p.links[2].nat = true;
  p.classes[0].on_recovery = OnRecovery::back;  // on_recovery: return
  plan = plan_steering(p, in, nullptr);
  CHECK_FALSE(plan.table.cls[0].may_stay(2));
  p.links[2].nat = false;
  p.classes[0].on_recovery = OnRecovery::stay;
  plan = plan_steering(p, in, nullptr);
  CHECK(plan.table.cls[0].pick(3) == 0);  // new calls take fiber
  CHECK(plan.table.cls[0].may_stay(2));   // the call in progress stays on lte until idle
  in.sla_ok[0][2] = false;                // but not on a link out of the class's SLA
  plan = plan_steering(p, in, nullptr);
  CHECK_FALSE(plan.table.cls[0].may_stay(2));
}

TEST_CASE("recovery: flows never stay on a backup link where their class is blocked", "[planner]") {
  Policy p = three_link_policy();
  p.class_limits.resize(p.classes.size());
  p.class_limits[0].on_backup = BackupMode::block;  // voip: on lte only to be counted and dropped
  p.classes[0].on_recovery = OnRecovery::stay;
  Plan plan = plan_steering(p, healthy({true, true, true}), nullptr);
  CHECK(plan.table.cls[0].pick(3) == 0);
  CHECK_FALSE(plan.table.cls[0].may_stay(2));  // would carry nothing there: back to fiber
  plan = plan_steering(p, healthy({false, true, true}), nullptr);
  CHECK(plan.table.cls[0].may_stay(2));  // fiber down: lte is all there is (blocked and counted)
}

TEST_CASE("best mode picks the lowest score and does not swap for a marginal gain", "[planner]") {
  Policy p = three_link_policy();
  p.classes[2].mode = SteerMode::best;  // bulk: fiber, cable
  PlanInput in = healthy({true, true, true});
  in.score[0] = 50;
  in.score[1] = 30;
  Plan plan = plan_steering(p, in, nullptr);
  CHECK(plan.cls[2].first == 1);
  in.score[0] = 28;  // fiber now slightly better: not by 20 % + 5 ms, so stay on cable
  Plan next = plan_steering(p, in, &plan);
  CHECK(next.cls[2].first == 1);
  in.score[0] = 10;  // clearly better: move
  next = plan_steering(p, in, &plan);
  CHECK(next.cls[2].first == 0);
  CHECK(next.table.cls[2].pick(9) == 0);
}

TEST_CASE("stick_by host-pair is carried to the data plane", "[planner]") {
  Policy p = three_link_policy();
  p.classes[0].stick_by = StickBy::host_pair;
  SteeringTable t = plan_steering(p, usable({true, true, true}));
  CHECK(t.cls[0].by_host_pair);
  CHECK_FALSE(t.cls[1].by_host_pair);
}

TEST_CASE("balance mode only spreads over links that meet the SLA", "[planner]") {
  Policy p = three_link_policy();
  PlanInput in = healthy({true, true, true});
  in.sla_ok[2][1] = false;  // bulk: cable out of SLA
  Plan plan = plan_steering(p, in, nullptr);
  for (uint32_t s = 0; s < kPickSlots; s++) CHECK(plan.table.cls[2].pick_slot[s] == 0);
  CHECK(plan.cls[2].picked_mask == 0b001);
}
