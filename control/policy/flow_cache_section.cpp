// The flow_cache section: entries per worker and the idle timeout after which a flow is forgotten.
#include "control/policy/sections.hpp"

namespace wansteer::policy_reader {

namespace {
constexpr uint32_t kMinFlowCache = 1024;
constexpr uint32_t kMaxFlowCache = 4194304;
}  // namespace

void read_flow_cache(Diagnostics& diag, const Field& f, FlowCacheSpec& spec) {
  auto m = read_map(diag, item(f), "flow_cache", {"size", "idle_timeout_s"});
  if (!m) return;
  if (const Field* s = m->get("size"))
    if (auto v = read_integer(diag, item(*s), "flow_cache size", kMinFlowCache, kMaxFlowCache))
      spec.size = static_cast<uint32_t>(*v);
  if (const Field* t = m->get("idle_timeout_s"))
    if (auto v = read_integer(diag, item(*t), "flow_cache idle_timeout_s", 1, 3600))
      spec.idle_timeout_s = static_cast<uint32_t>(*v);
}

}  // namespace wansteer::policy_reader
