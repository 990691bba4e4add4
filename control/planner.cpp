// Planner implementation: priority = first usable link in the class's order; balance = 64 slots shared out
// in proportion to the usable links' weights, so a flow hash picks a link with one array read.
#include "control/planner.hpp"

#include <cstring>

namespace wansteer {

SteeringTable plan_steering(const Policy& policy, const std::array<bool, kMaxLinks>& usable) {
  SteeringTable t{};
  for (auto& cs : t.cls) std::memset(cs.pick_slot, kNoLink, sizeof cs.pick_slot);
  for (size_t c = 0; c < policy.classes.size() && c < kMaxClasses; c++) {
    const ClassSpec& spec = policy.classes[c];
    ClassSteering& cs = t.cls[c];
    cs.mode = spec.mode;
    uint8_t order[kMaxLinks];
    uint32_t n_usable = 0;
    for (uint8_t l : spec.links) {
      cs.allowed_mask = static_cast<uint16_t>(cs.allowed_mask | (1u << l));
      if (usable[l]) {
        cs.usable_mask = static_cast<uint16_t>(cs.usable_mask | (1u << l));
        order[n_usable++] = l;
      }
    }
    if (n_usable == 0) continue;  // every slot stays kNoLink: the class is dropped and counted
    if (spec.mode == SteerMode::priority) {
      std::memset(cs.pick_slot, order[0], sizeof cs.pick_slot);
      continue;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < n_usable; i++) total += policy.links[order[i]].weight;
    // Slot s covers the point (s + 1/2) / 64 of the cumulative weight line.
    for (uint32_t s = 0; s < kPickSlots; s++) {
      uint64_t point2 = (2 * s + 1) * total;  // twice the point, scaled by 64: compare with 2*64*cumulative
      uint64_t cumulative = 0;
      uint8_t chosen = order[n_usable - 1];
      for (uint32_t i = 0; i < n_usable; i++) {
        cumulative += policy.links[order[i]].weight;
        if (point2 < 2 * kPickSlots * cumulative) {
          chosen = order[i];
          break;
        }
      }
      cs.pick_slot[s] = chosen;
    }
  }
  return t;
}

}  // namespace wansteer
