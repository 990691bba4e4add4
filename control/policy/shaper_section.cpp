// The shaper section: the classes' strict-priority order, which classes bear delay-based drops, and the queue
// limits; classes not named follow in policy order.
#include <fmt/format.h>

#include <algorithm>

#include "control/policy/did_you_mean.hpp"
#include "control/policy/sections.hpp"
#include "dataplane/egress_plan.hpp"

namespace wansteer::policy_reader {

namespace {

// A list of class names (or one name) as class ids: unknown and repeated names are errors.
std::vector<uint8_t> read_class_list(Diagnostics& diag, const Field& f, const std::string& what,
                                     const std::vector<ClassSpec>& classes, bool classes_ok) {
  std::vector<uint8_t> out;
  auto refs = read_list(diag, item(f), what, true, false);
  if (!refs) return out;
  std::vector<std::string> names;
  names.reserve(classes.size());
  for (const auto& c : classes) names.push_back(c.name);
  for (const auto& r : *refs) {
    auto n = read_text(diag, r, what);
    if (!n) continue;
    auto found = std::find(names.begin(), names.end(), *n);
    auto idx = found - names.begin();
    if (found == names.end()) {
      if (classes_ok)
        diag.error(r.mark, fmt::format("{}: unknown class \"{}\"{}; classes are {}", what, *n, suggest(*n, names),
                                       join(names)));
    } else if (std::find(out.begin(), out.end(), idx) != out.end()) {
      diag.error(r.mark, fmt::format("{}: class \"{}\" is listed twice", what, *n));
    } else {
      out.push_back(static_cast<uint8_t>(idx));
    }
  }
  return out;
}

void read_shaper_keys(Diagnostics& diag, const Fields& m, const std::vector<ClassSpec>& classes, bool classes_ok,
                      ShaperSpec& sp) {
  if (const Field* p = m.get("priority"))
    sp.priority = read_class_list(diag, *p, "shaper priority", classes, classes_ok);
  if (const Field* d = m.get("delay_drop")) {
    if (d->value.IsSequence() && d->value.size() == 0)
      sp.delay_drop.clear();
    else
      sp.delay_drop = read_class_list(diag, *d, "shaper delay_drop", classes, classes_ok);
  }
  auto u32 = [&](const char* key, uint32_t& out, uint64_t lo, uint64_t hi) {
    if (const Field* t = m.get(key))
      if (auto v = read_integer(diag, item(*t), fmt::format("shaper {}", key), lo, hi)) out = static_cast<uint32_t>(*v);
  };
  u32("delay_target_ms", sp.delay_target_ms, 1, 1000);
  u32("delay_interval_ms", sp.delay_interval_ms, 1, 10000);
  u32("queue_ms", sp.queue_ms, 1, 1000);
  // At least one jumbo frame, or such a frame could never be queued; at most 64 MiB per class queue.
  u32("queue_bytes", sp.queue_bytes, kMaxFrameBytes, 64u << 20);
}

}  // namespace

void read_shaper(Diagnostics& diag, const Field* f, const std::vector<ClassSpec>& classes, bool classes_ok,
                 ShaperSpec& sp) {
  std::optional<Fields> m;
  if (f && !f->value.IsNull())
    m = read_map(diag, item(*f), "shaper",
                 {"priority", "delay_drop", "delay_target_ms", "delay_interval_ms", "queue_ms", "queue_bytes"});
  if (m) read_shaper_keys(diag, *m, classes, classes_ok, sp);
  // Classes not listed follow in policy order, so the order always covers every class.
  for (size_t c = 0; c < classes.size() && c < kMaxClasses; ++c)
    if (std::find(sp.priority.begin(), sp.priority.end(), c) == sp.priority.end())
      sp.priority.push_back(static_cast<uint8_t>(c));
  if (!(m && m->get("delay_drop"))) {
    // The lowest classes bear delay-based drops by default: the last two in priority order.
    sp.delay_drop.clear();
    for (size_t i = sp.priority.size() >= 2 ? sp.priority.size() - 2 : 0; i < sp.priority.size(); ++i)
      sp.delay_drop.push_back(sp.priority[i]);
  }
}

}  // namespace wansteer::policy_reader
