// ControlPlane::reload_policy: `reload`, `reload --dry-run` and SIGHUP. A new policy file replaces the running one
// only if it is valid and binds the same ports; start-only keys keep their running values until a restart, and the
// reply (and the daemon's log) says which changes were applied and which wait. The parts keep their state (gates,
// verdicts, neighbours) where it still applies.
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "control/runtime/control_plane.hpp"
#include "dataplane/classify.hpp"

namespace wansteer {

// What one reload did, for its reply (text or JSON) and its log line.
struct ControlPlane::ReloadOutcome {
  bool ok = false;
  bool dry_run = false;
  std::string path;
  std::string error;                  // !ok: why, "error: ..." lines
  std::vector<PolicyChange> changes;  // running -> new (a refused reload lists what it would have changed)
  std::vector<std::string> warnings;  // the new policy's warnings, as --check prints them
  size_t classes = 0, rules = 0;
  uint32_t generation = 0;  // the running generation after the reload

  size_t applied() const {
    size_t n = 0;
    for (const auto& c : changes) n += c.live ? 1 : 0;
    return n;
  }
  size_t waiting() const { return changes.size() - applied(); }

  std::string headline() const {
    if (!ok) return error.substr(0, error.find('\n'));
    const size_t a = applied(), w = waiting();
    if (dry_run)
      return fmt::format("dry run: policy {} is valid; a reload would apply {} change{}{} (nothing applied now)", path,
                         a, a == 1 ? "" : "s", w ? fmt::format(", {} more need a restart", w) : "");
    if (a == 0 && w > 0)
      return fmt::format("policy {} re-read: no change applied (generation {}); {} change{} need a restart", path,
                         generation, w, w == 1 ? "" : "s");
    return fmt::format("policy {} loaded: {} classes, {} rules (generation {}); {} change{} applied{}", path, classes,
                       rules, generation, a, a == 1 ? "" : "s", w ? fmt::format(", {} need a restart", w) : "");
  }

  std::string text() const {
    std::string s = ok ? headline() + "\n" : error;
    for (const auto& c : changes)
      if (c.live) s += (ok ? (dry_run ? "  would apply: " : "  applied: ") : "  ") + c.text() + "\n";
    for (const auto& c : changes)
      if (!c.live) s += "  " + std::string(ok ? "not applied until restart: " : "") + c.text() + "\n";
    for (const auto& w : warnings) s += w + "\n";
    return s;
  }

  std::string json() const {
    nlohmann::ordered_json j{{"ok", ok}, {"dry_run", dry_run}};
    std::string e = error;
    while (!e.empty() && e.back() == '\n') e.pop_back();
    if (e.rfind("error: ", 0) == 0) e.erase(0, 7);
    std::string t = text();  // all of it, as the text reply words it: headline, changes, warnings
    while (!t.empty() && t.back() == '\n') t.pop_back();
    if (ok)
      j["message"] = t;
    else
      j["error"] = e;
    if (ok) j["generation"] = generation;
    auto arr = nlohmann::ordered_json::array();
    for (const auto& c : changes)
      arr.push_back({{"key", c.key}, {"old", c.old_value}, {"new", c.new_value}, {"live", c.live}});
    j["changes"] = std::move(arr);
    j["warnings"] = warnings;
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  }

  // The daemon's one log line: who asked, the result, how many changes.
  void log(const char* who) const {
    fmt::print(ok ? stdout : stderr, "wansteer: {}: {}\n", who,
               ok ? headline()
                  : fmt::format("reload refused ({} change{} in the file): {}", changes.size(),
                                changes.size() == 1 ? "" : "s", headline()));
    std::fflush(ok ? stdout : stderr);  // a service's log (journald reads a pipe) shows the reload now, not at exit
  }
};

namespace {

// Start-only keys a reload does not apply: the new policy keeps the running values, so the parts built at start
// (prober, tables, exporter) and what the policy says stay the same, and the next reload reports them again.
void keep_start_only(Policy& np, const Policy& running) {
  for (size_t l = 0; l < np.links.size(); l++) {
    np.links[l].probe = running.links[l].probe;
    np.links[l].metered = running.links[l].metered;
  }
  np.flow_cache.size = running.flow_cache.size;
  np.nat.sessions = running.nat.sessions;
  np.metrics = running.metrics;
}

}  // namespace

ControlPlane::ReloadOutcome ControlPlane::reload(bool dry_run) {
  PolicyResult r = load_policy(policy_.path);
  if (!r.ok()) {
    ReloadOutcome o;
    o.dry_run = dry_run;
    o.path = policy_.path;
    o.error = fmt::format("error: policy {} rejected, the running policy stays:\n", policy_.path);
    for (const auto& e : r.errors) o.error += e.to_string() + "\n";
    if (!dry_run) reloads_failed_++;
    return o;
  }
  ReloadOutcome o = adopt(std::move(*r.policy), dry_run);
  if (o.ok)  // loaded: say what in it cannot work as written, as --check would
    for (const auto& w : r.warnings) o.warnings.push_back(w.to_string());
  return o;
}

ControlPlane::ReloadOutcome ControlPlane::adopt(Policy np, bool dry_run) {
  ReloadOutcome o;
  o.dry_run = dry_run;
  o.path = policy_.path;
  o.changes = diff_policies(policy_, np);
  o.generation = policy_generation_;
  // Ports and addresses are bound at start: a policy that changes them cannot run until a restart.
  if (changes_ports(o.changes)) {
    if (!dry_run) reloads_failed_++;
    o.error = fmt::format(
        "error: {}the new policy changes ports, links or which links use DHCP; restart wansteer "
        "to apply it (running policy kept):\n",
        dry_run ? "dry run: a reload would be refused: " : "");
    return o;
  }
  std::string err;
  auto cls = Classifier::build(np.rules, np.default_class, &err);
  if (!cls) {
    if (!dry_run) reloads_failed_++;
    o.error = "error: cannot compile the new rules (running policy kept): " + err + "\n";
    return o;
  }
  o.ok = true;
  o.classes = np.classes.size();
  o.rules = np.rules.size();
  if (dry_run) return o;
  if (!overlay_.configure(np, &err)) {  // the key file is read again: it may have changed since the check
    reloads_failed_++;
    o.ok = false;
    o.error = "error: " + err + " (running policy kept)\n";
    return o;
  }
  keep_start_only(np, policy_);
  bool same_classes = np.classes.size() == policy_.classes.size();
  for (size_t c = 0; same_classes && c < np.classes.size(); c++)
    same_classes = np.classes[c].name == policy_.classes[c].name;
  if (!same_classes) steering_.forget_plan();  // class numbers changed: the old plan says nothing about the new ones
  Policy old = std::move(policy_);
  policy_ = std::move(np);  // in place: every part reads the new policy from here on
  for (size_t l = 0; l < policy_.links.size(); l++)
    if (policy_.links[l].dhcp) {  // the lease still holds: a reload does not drop it
      policy_.links[l].address = old.links[l].address;
      policy_.links[l].gateway = old.links[l].gateway;
    }
  neighbours_.apply_static_gateways();
  neighbors_dirty_ = neighbours_.apply_lan_policy() || neighbors_dirty_;
  rebuild_neighbor_table();  // published below with the rest: never the new subnets with the old hosts' tags
  classifier_ = std::move(cls);
  o.generation = ++policy_generation_;
  reloads_ok_++;
  monitor_.rebuild_gates(&old);
  replan(clock_.now());
  publish();
  return o;
}

std::string ControlPlane::adopt_policy(Policy np) { return adopt(std::move(np), false).text(); }

std::string ControlPlane::reload_policy(bool dry_run, bool json) {
  const ReloadOutcome o = reload(dry_run);
  o.log(dry_run ? "control socket (dry run)" : "control socket");
  return json ? o.json() : o.text();
}

void ControlPlane::reload_on_signal() {
  const ReloadOutcome o = reload(false);
  o.log("SIGHUP");
  const std::string t = o.text();  // the details after the headline, for an operator who has only the log
  const size_t nl = t.find('\n');
  if (nl != std::string::npos && nl + 1 < t.size()) {
    std::fputs(t.c_str() + nl + 1, o.ok ? stdout : stderr);
    std::fflush(o.ok ? stdout : stderr);
  }
}

}  // namespace wansteer
