// Top flows: the heaviest flows (bytes since they were classified) the workers saw in their last aging sweep
// (every ~100 ms), merged across workers, as the `show flows` table or JSON array.
#pragma once
#include <string>
#include <vector>

#include "control/policy/policy.hpp"
#include "dataplane/flow_cache.hpp"

namespace wansteer {

struct WorkerContext;

// The n heaviest flows of all workers, heaviest first.
std::vector<TopFlow> gather_top_flows(const std::vector<WorkerContext*>& workers, size_t n);

// `now` and `hz` are the TSC's (flows are stamped by workers with it).
std::string render_top_flows(const std::vector<TopFlow>& flows, const Policy& policy, uint64_t now, uint64_t hz,
                             bool json);

}  // namespace wansteer
