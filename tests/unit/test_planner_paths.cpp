// Planner over a class's paths (issue 13): per link the kind (direct or overlay) of the first path that qualifies,
// the class's link order from its paths, and an overlay-only class never sent straight out of a link.
#include <catch2/catch.hpp>

#include <string>

#include "control/policy/policy.hpp"
#include "control/steering/class_paths_plan.hpp"
#include "control/steering/planner.hpp"
#include "tests/unit/overlay_policy_support.hpp"

using namespace wansteer;

namespace {

constexpr uint8_t kFiber = 0, kCable = 1, kLte = 2;

// Three links (fiber weight 3, cable weight 1, lte) and one class "app" given by `cls`, its lines after the name.
Policy paths_policy(const test::OverlayKeyDir& keys, const std::string& cls) {
  const std::string text =
      "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"
      "links:\n"
      "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1, weight: 3}\n"
      "  - {name: cable, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1}\n"
      "  - {name: lte, device: net_null3, address: 100.64.3.2/30, gateway: 100.64.3.1}\n" +
      test::overlay_section() +
      "classes:\n"
      "  - name: app\n" +
      cls;
  PolicyResult r = parse_policy(text, "paths.yaml", keys.dir.string());
  std::string errors;
  for (const auto& e : r.errors) errors += e.to_string() + "\n";
  INFO(errors);
  REQUIRE(r.policy);
  return *r.policy;
}

PlanInput links_up(std::array<bool, 3> alive, std::array<bool, 3> overlay_up) {
  PlanInput in;
  for (size_t l = 0; l < 3; l++) {
    in.alive[l] = alive[l];
    in.overlay_alive[l] = overlay_up[l];
  }
  for (auto& row : in.sla_ok) row.fill(true);
  return in;
}

struct PathsCase {
  const char* what;
  const char* cls;
  std::array<bool, 3> overlay_up;
  std::array<bool, 3> alive;
  uint8_t first;          // kNoLink: nothing usable
  uint16_t overlay_mask;  // the kind on every allowed link, picked or not
  uint16_t usable_mask;
  uint16_t allowed_mask;
};

constexpr std::array<bool, 3> kAll{true, true, true};
constexpr std::array<bool, 3> kNone{false, false, false};

const PathsCase kPathsCases[] = {
    {"[overlay, direct], overlay up: overlay over the first link",
     "    links: [fiber, lte]\n    paths: [overlay, direct]\n", kAll, kAll, kFiber, 0b101, 0b101, 0b101},
    {"[overlay, direct], overlay down: direct over the first link",
     "    links: [fiber, lte]\n    paths: [overlay, direct]\n", kNone, kAll, kFiber, 0b000, 0b101, 0b101},
    {"[overlay, direct], overlay down over fiber only: overlay over lte comes before direct over fiber",
     "    links: [fiber, lte]\n    paths: [overlay, direct]\n",
     {false, false, true},
     kAll,
     kLte,
     0b100,
     0b101,
     0b101},
    {"overlay via lte, direct via fiber: the overlay over lte first",
     "    links: [fiber, lte]\n    paths: [overlay via lte, direct via fiber]\n", kAll, kAll, kLte, 0b100, 0b101,
     0b101},
    {"overlay via lte, direct via fiber, overlay down: fiber, and lte (overlay only) not usable",
     "    links: [fiber, lte]\n    paths: [overlay via lte, direct via fiber]\n", kNone, kAll, kFiber, 0b100, 0b001,
     0b101},
    {"overlay-only class, overlay down everywhere: no usable link, never direct",
     "    links: [fiber, lte]\n    paths: [overlay]\n", kNone, kAll, kNoLink, 0b101, 0b000, 0b101},
    {"overlay-only class, overlay up over lte only: lte",
     "    links: [fiber, lte]\n    paths: [overlay]\n",
     {false, false, true},
     kAll,
     kLte,
     0b101,
     0b100,
     0b101},
    {"no paths: direct over links, whatever the overlay does", "    links: [fiber, lte]\n", kAll, kAll, kFiber, 0b000,
     0b101, 0b101},
    {"a via link outside links is allowed: fiber down, the overlay over lte",
     "    links: [fiber]\n    paths: [direct, overlay via lte]\n",
     kAll,
     {false, true, true},
     kLte,
     0b100,
     0b100,
     0b101},
    {"overlay up but the link down: not usable",
     "    links: [fiber, lte]\n    paths: [overlay]\n",
     kAll,
     {false, true, true},
     kLte,
     0b101,
     0b100,
     0b101},
};

}  // namespace

TEST_CASE("paths: per link the kind of the first qualifying path, links in the paths' order", "[planner]") {
  test::OverlayKeyDir keys;
  for (const PathsCase& k : kPathsCases) {
    INFO(k.what);
    const Policy p = paths_policy(keys, k.cls);
    const Plan plan = plan_steering(p, links_up(k.alive, k.overlay_up), nullptr);
    const ClassSteering& cs = plan.table.cls[0];
    CHECK(int(plan.cls[0].first) == int(k.first));
    for (uint32_t s = 0; s < kPickSlots; s++) CHECK(int(cs.pick_slot[s]) == int(k.first));
    CHECK(cs.overlay_mask == k.overlay_mask);
    CHECK(cs.usable_mask == k.usable_mask);
    CHECK(cs.allowed_mask == k.allowed_mask);
    CHECK((cs.stay_mask & ~cs.usable_mask) == 0);  // a link usable only through a dead overlay keeps no flow
  }
}

TEST_CASE("paths: balance spreads over the qualifying links, each with its own kind", "[planner]") {
  test::OverlayKeyDir keys;
  const Policy p = paths_policy(keys,
                                "    links: [fiber, cable]\n    mode: balance\n"
                                "    paths: [overlay via fiber, direct]\n");
  Plan plan = plan_steering(p, links_up(kAll, kAll), nullptr);
  int count[kMaxLinks] = {};
  for (uint32_t s = 0; s < kPickSlots; s++) count[plan.table.cls[0].pick_slot[s]]++;
  CHECK(count[kFiber] == 48);  // weight 3 of 4, through the overlay
  CHECK(count[kCable] == 16);  // weight 1 of 4, direct
  CHECK(plan.table.cls[0].overlay_mask == 0b001);
  CHECK(plan.cls[0].picked_mask == 0b011);

  plan = plan_steering(p, links_up(kAll, kNone), nullptr);  // overlay down: fiber direct (its second candidate)
  CHECK(plan.table.cls[0].overlay_mask == 0);
  CHECK(plan.cls[0].picked_mask == 0b011);
}

TEST_CASE("paths: the fallback keeps the link's first usable kind; an overlay-only class never falls back direct",
          "[planner]") {
  test::OverlayKeyDir keys;
  const Policy p = paths_policy(keys, "    links: [fiber, lte]\n    paths: [overlay, direct]\n");
  PlanInput in = links_up(kAll, {false, false, true});
  in.sla_ok[0].fill(false);  // nothing meets the SLA: best link by score
  in.score[kFiber] = 80;
  in.score[kLte] = 40;
  Plan plan = plan_steering(p, in, nullptr);
  CHECK(plan.cls[0].fallback);
  CHECK(plan.cls[0].first == kLte);
  CHECK(plan.table.cls[0].via_overlay(kLte));
  CHECK_FALSE(plan.table.cls[0].via_overlay(kFiber));  // overlay down there: direct

  const Policy only = paths_policy(keys, "    links: [fiber, lte]\n    paths: [overlay]\n");
  in.score[kFiber] = 10;  // fiber is the better link, but only direct could use it
  plan = plan_steering(only, in, nullptr);
  CHECK(plan.cls[0].fallback);
  CHECK(plan.cls[0].first == kLte);
  CHECK(plan.table.cls[0].via_overlay(kLte));
  CHECK_FALSE(plan.table.cls[0].usable(kFiber));
}

TEST_CASE("paths: cached flows leave a link whose overlay died when the class may not go direct there", "[planner]") {
  test::OverlayKeyDir keys;
  const Policy p = paths_policy(keys,
                                "    links: [fiber, lte]\n    paths: [direct via fiber, overlay via lte]\n"
                                "    on_sla_breach: stay\n    on_recovery: stay\n");
  Plan plan = plan_steering(p, links_up(kAll, kAll), nullptr);
  CHECK(plan.table.cls[0].may_stay(kLte));  // on_recovery: stay keeps a flow on lte, through the overlay
  CHECK(plan.table.cls[0].via_overlay(kLte));
  plan = plan_steering(p, links_up(kAll, kNone), &plan);
  CHECK_FALSE(plan.table.cls[0].may_stay(kLte));  // the overlay over lte is down: no direct path there
  CHECK_FALSE(plan.table.cls[0].usable(kLte));
  CHECK(plan.table.cls[0].pick(5) == kFiber);
}

TEST_CASE("paths: expansion in the class's order, the first of duplicates kept", "[planner]") {
  test::OverlayKeyDir keys;
  const Policy p = paths_policy(keys, "    links: [fiber, lte]\n    paths: [direct via lte, direct, overlay]\n");
  const PathCandidates c = expand_class_paths(p.classes[0]);
  REQUIRE(c.n == 4);  // direct over lte is listed once, at its first place
  CHECK((c.at[0].link == kLte && !c.at[0].overlay));
  CHECK((c.at[1].link == kFiber && !c.at[1].overlay));
  CHECK((c.at[2].link == kFiber && c.at[2].overlay));
  CHECK((c.at[3].link == kLte && c.at[3].overlay));
}

TEST_CASE("planner: duplicate names a second overlay link, only while it asks for one", "[planner]") {
  test::OverlayKeyDir keys;
  const Policy always = paths_policy(keys,
                                     "    links: [fiber, cable, lte]\n    paths: [overlay, direct]\n"
                                     "    duplicate: always\n");
  Plan p = plan_steering(always, links_up(kAll, kAll), nullptr);
  CHECK(p.table.cls[0].pick(0) == kFiber);
  CHECK(p.table.cls[0].dup_link == kCable);  // the next link the class would use through the hub
  p = plan_steering(always, links_up({false, true, true}, kAll), nullptr);
  CHECK(p.table.cls[0].pick(0) == kCable);
  CHECK(p.table.cls[0].dup_link == kLte);
  p = plan_steering(always, links_up(kAll, {true, false, false}), nullptr);
  CHECK(p.table.cls[0].dup_link == kNoLink);  // cable and lte are direct now: a copy would reach the server twice

  const Policy sla = paths_policy(keys,
                                  "    links: [fiber, cable]\n    paths: [overlay]\n"
                                  "    duplicate: when_out_of_sla\n");
  PlanInput in = links_up(kAll, kAll);
  CHECK(plan_steering(sla, in, nullptr).table.cls[0].dup_link == kNoLink);  // both meet the SLA: no copies
  in.sla_ok[0][kFiber] = false;
  p = plan_steering(sla, in, nullptr);
  CHECK(p.table.cls[0].pick(0) == kCable);
  CHECK(p.table.cls[0].dup_link == kFiber);  // fiber degraded but alive: copies over it too

  const Policy never = paths_policy(keys, "    links: [fiber, cable]\n    paths: [overlay]\n");
  CHECK(plan_steering(never, links_up(kAll, kAll), nullptr).table.cls[0].dup_link == kNoLink);
}

TEST_CASE("policy: duplicate needs overlay paths", "[planner]") {
  test::OverlayKeyDir keys;
  const std::string text =
      "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"
      "links:\n"
      "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1}\n"
      "  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1}\n" +
      test::overlay_section() +
      "classes:\n"
      "  - name: voip\n"
      "    links: [fiber]\n"
      "    duplicate: always\n";
  PolicyResult r = parse_policy(text, "dup.yaml", keys.dir.string());
  REQUIRE_FALSE(r.policy);
  std::string errors;
  for (const auto& e : r.errors) errors += e.to_string() + "\n";
  INFO(errors);
  CHECK(errors.find("dup.yaml:11:16: class \"voip\" duplicate: always needs overlay paths") != std::string::npos);
}
