// Planner tests: priority picks the first usable link in order, balance shares slots by weight, and a class
// with no usable allowed link gets no link (dropped and counted) instead of a forbidden one.
#include <catch2/catch.hpp>

#include "control/planner.hpp"

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
