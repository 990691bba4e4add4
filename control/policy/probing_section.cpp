// The probing section (defaults for every link) and a link's probe override: probe: off | {enabled, targets,
// interval_ms, ..., stamp_auth_key_file}; keys not given keep the values already in the spec.
#include <fmt/format.h>

#include <filesystem>

#include "control/health/stamp_key_file.hpp"

#include "control/policy/sections.hpp"
#include "control/policy/value_readers.hpp"
#include "dataplane/probe_ids.hpp"

namespace wansteer::policy_reader {

namespace {

// One target: a bare address (ICMP echo) or {address, kind, port}.
std::optional<ProbeTarget> read_target(Diagnostics& diag, const Item& ti, const std::string& tw) {
  ProbeTarget t;
  if (ti.node.IsScalar()) {
    auto a = read_ip4(diag, ti, tw);
    if (!a) return std::nullopt;
    t.address = *a;
    return t;
  }
  auto tm = read_map(diag, ti, tw, {"address", "kind", "port"});
  if (!tm) return std::nullopt;
  if (!require_key(diag, *tm, "address", tw)) return std::nullopt;
  auto a = read_ip4(diag, item(*tm->get("address")), tw + " address");
  if (!a) return std::nullopt;
  t.address = *a;
  if (const Field* k = tm->get("kind"))
    if (auto c = read_choice(diag, item(*k), tw + " kind", {"icmp", "stamp"}))
      t.kind = *c == "stamp" ? ProbeKind::stamp : ProbeKind::icmp;
  if (const Field* p = tm->get("port"))
    if (auto v = read_integer(diag, item(*p), tw + " port", 1, 65535)) t.port = static_cast<uint16_t>(*v);
  return t;
}

void read_targets(Diagnostics& diag, const Field& tf, const std::string& what, ProbeSpec& spec) {
  spec.targets.clear();
  auto items = read_list(diag, item(tf), what + " targets", false, true);
  if (!items) return;
  for (size_t i = 0; i < items->size(); i++) {
    const Item& ti = (*items)[i];
    auto t = read_target(diag, ti, fmt::format("{} target {}", what, i + 1));
    if (!t) continue;
    if (spec.targets.size() >= kMaxProbeTargets) {
      diag.error(ti.mark, fmt::format("{}: at most {} probe targets per link", what, kMaxProbeTargets));
      break;
    }
    spec.targets.push_back(*t);
  }
}

// stamp_auth_key_file: the key is read here, at load (and reload), so a missing, short or world-readable key file is
// reported at its line in the policy instead of surfacing later as probes that never verify. "" turns it off (a
// link overriding the probing section's key).
void read_stamp_key(Diagnostics& diag, const Item& it, const std::string& what, const std::string& base_dir,
                    ProbeSpec& spec) {
  auto rel = read_text(diag, it, what + " stamp_auth_key_file");
  if (!rel) return;
  spec.stamp_auth_key_file.clear();
  spec.stamp_auth_key.clear();
  if (rel->empty()) return;
  const std::string path = (std::filesystem::path(base_dir) / *rel).lexically_normal().string();
  std::string why;
  std::optional<stamp::Key> key = stamp::read_key_file(path, &why);
  if (!key) {
    diag.error(it.mark, fmt::format("{} stamp_auth_key_file: {}", what, why));
    return;
  }
  spec.stamp_auth_key_file = path;
  spec.stamp_auth_key = std::move(*key);
}

}  // namespace

void read_probe(Diagnostics& diag, const Item& it, const std::string& what, const std::string& base_dir,
                ProbeSpec& spec) {
  if (it.node.IsScalar()) {
    if (auto b = read_boolean(diag, it, what)) spec.enabled = *b;
    return;
  }
  auto m = read_map(diag, it, what,
                    {"enabled", "targets", "interval_ms", "idle_interval_ms", "detect_multiplier", "loss_window",
                     "reply_timeout_ms", "hold_down_ms", "passive_timeout_ms", "min_samples", "boost_interval_ms",
                     "traffic_interval_ms", "stamp_auth_key_file"});
  if (!m) return;
  auto u32 = [&](const char* key, uint32_t& out, uint64_t lo, uint64_t hi) {
    if (const Field* f = m->get(key))
      if (auto v = read_integer(diag, item(*f), fmt::format("{} {}", what, key), lo, hi))
        out = static_cast<uint32_t>(*v);
  };
  if (const Field* f = m->get("enabled"))
    if (auto b = read_boolean(diag, item(*f), what + " enabled")) spec.enabled = *b;
  u32("interval_ms", spec.interval_ms, 5, 60000);
  u32("idle_interval_ms", spec.idle_interval_ms, 5, 3600000);
  u32("detect_multiplier", spec.detect_multiplier, 2, 50);
  u32("loss_window", spec.loss_window, 10, 10000);
  u32("reply_timeout_ms", spec.reply_timeout_ms, 10, 10000);
  u32("hold_down_ms", spec.hold_down_ms, 0, 3600000);
  u32("passive_timeout_ms", spec.passive_timeout_ms, 0, 60000);
  u32("min_samples", spec.min_samples, 1, 10000);
  u32("boost_interval_ms", spec.boost_interval_ms, 0, 60000);
  u32("traffic_interval_ms", spec.traffic_interval_ms, 0, 60000);
  if (const Field* tf = m->get("targets")) read_targets(diag, *tf, what, spec);
  if (const Field* kf = m->get("stamp_auth_key_file")) read_stamp_key(diag, item(*kf), what, base_dir, spec);
  if (spec.reply_timeout_ms < spec.interval_ms && m->get("reply_timeout_ms"))
    diag.error(at(*m->get("reply_timeout_ms")), fmt::format("{}: reply_timeout_ms {} is shorter than interval_ms {}",
                                                            what, spec.reply_timeout_ms, spec.interval_ms));
}

}  // namespace wansteer::policy_reader
