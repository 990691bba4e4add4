// Egress planning: turns the policy's limits and shaper settings, plus which links are usable now, into the
// snapshot's EgressPlan (the effective meter profile per (class, link) and the shaper per link). Pure function.
#pragma once
#include <array>
#include <cstdint>

#include "control/policy/policy.hpp"
#include "dataplane/egress_plan.hpp"

namespace wansteer {

inline constexpr uint64_t kDefaultBurstMs = 50;     // a limit's default burst: this long at its rate ...
inline constexpr uint64_t kMinDefaultBurst = 3028;  // ... but at least two full frames
inline constexpr uint64_t kShaperBurstMs = 5;       // shaper bucket: this long at link rate ...
inline constexpr uint64_t kShaperMinBurst = 3028;   // ... but at least two full frames
inline constexpr uint64_t kQueueFrameBytes = 1500;  // queue limits count packets: queue_ms of rate in such frames
inline constexpr uint32_t kMinQueueLimit = 16;
// No packet waits longer than this in a shaper queue (or 4 x queue_ms if longer), whatever its class: a class
// starved by higher ones sheds its old packets (queue_timeout) instead of holding them until restart.
inline constexpr uint64_t kQueueMaxWaitMs = 1000;

// Whether backup profiles (on_backup) apply to link `l` now: the link's role is backup, or no primary link
// is usable (then whatever carries traffic is standing in for the primary).
bool backup_profiles_active(const Policy& p, const std::array<bool, kMaxLinks>& usable, size_t l);

// The plan for this publish. `previous` (the plan being replaced, or null) keeps generation numbers of
// unchanged profiles, so owners reconfigure (and reset) only the meters and shapers that really changed.
// `budget_exhausted` (bit l: link l's data budget is spent) applies each class's on_budget_exhausted there.
EgressPlan plan_egress(const Policy& p, const std::array<bool, kMaxLinks>& usable, const EgressPlan* previous,
                       uint64_t tsc_hz, uint16_t budget_exhausted = 0);

}  // namespace wansteer
