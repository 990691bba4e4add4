// Planner: turns the policy's classes and the links' current usability into the SteeringTable workers read.
#pragma once
#include <array>

#include "control/policy.hpp"
#include "dataplane/steering.hpp"

namespace wansteer {

// usable[i]: link i may carry traffic now (administratively up; later also healthy enough).
// Pure function: same inputs, same table.
SteeringTable plan_steering(const Policy& policy, const std::array<bool, kMaxLinks>& usable);

}  // namespace wansteer
