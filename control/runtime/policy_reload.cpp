// ControlPlane::reload_policy: `reload` and SIGHUP. A new policy file replaces the running one only if it is valid
// and binds the same ports; the parts keep their state (gates, verdicts, neighbours) where it still applies.
#include <fmt/format.h>

#include "control/runtime/control_plane.hpp"
#include "dataplane/classify.hpp"

namespace wansteer {

namespace {

bool same_probing(const LinkSpec& x, const LinkSpec& y) {
  const ProbeSpec &a = x.probe, &b = y.probe;
  bool same = a.enabled == b.enabled && a.interval_ms == b.interval_ms && a.idle_interval_ms == b.idle_interval_ms &&
              a.detect_multiplier == b.detect_multiplier && a.loss_window == b.loss_window &&
              a.reply_timeout_ms == b.reply_timeout_ms && a.hold_down_ms == b.hold_down_ms &&
              a.passive_timeout_ms == b.passive_timeout_ms && a.min_samples == b.min_samples &&
              a.targets.size() == b.targets.size() && x.metered == y.metered && a.stamp_auth_key == b.stamp_auth_key;
  for (size_t t = 0; same && t < a.targets.size(); t++)
    same = a.targets[t].address == b.targets[t].address && a.targets[t].kind == b.targets[t].kind &&
           a.targets[t].port == b.targets[t].port;
  return same;
}

// The prober is built at start: changed probe settings wait for a restart. Returns the notes to show.
std::string keep_running_probing(Policy& np, const Policy& running) {
  std::string note;
  for (size_t l = 0; l < np.links.size(); l++) {
    if (same_probing(np.links[l], running.links[l])) continue;
    note += fmt::format(
        "note: link {}: probe settings changed; they take effect when wansteer restarts "
        "(probing continues with the running settings)\n",
        np.links[l].name);
    np.links[l].probe = running.links[l].probe;
    np.links[l].metered = running.links[l].metered;
  }
  return note;
}

}  // namespace

std::string ControlPlane::reload_policy() {
  PolicyResult r = load_policy(policy_.path);
  if (!r.ok()) {
    std::string s = fmt::format("error: policy {} rejected, the running policy stays:\n", policy_.path);
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    reloads_failed_++;
    return s;
  }
  std::string reply = adopt_policy(std::move(*r.policy));
  if (reply.rfind("error:", 0) != 0)  // loaded: say what in it cannot work as written, as --check would
    for (const auto& w : r.warnings) reply += w.to_string() + "\n";
  return reply;
}

std::string ControlPlane::adopt_policy(Policy np) {
  // Ports and addresses are bound at start; a reload may change classes, rules and link order only if the
  // set of devices is unchanged.
  bool same_ports = np.lan.device == policy_.lan.device && np.links.size() == policy_.links.size();
  for (size_t l = 0; same_ports && l < np.links.size(); l++)
    same_ports = np.links[l].device == policy_.links[l].device && np.links[l].name == policy_.links[l].name &&
                 np.links[l].dhcp == policy_.links[l].dhcp;
  if (!same_ports) {
    reloads_failed_++;
    return "error: the new policy changes ports, links or which links use DHCP; restart wansteer to apply it (running "
           "policy kept)\n";
  }
  std::string err;
  auto cls = Classifier::build(np.rules, np.default_class, &err);
  if (!cls) {
    reloads_failed_++;
    return "error: cannot compile the new rules (running policy kept): " + err + "\n";
  }
  const std::string note = keep_running_probing(np, policy_);
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
  classifier_ = std::move(cls);
  policy_generation_++;
  reloads_ok_++;
  monitor_.rebuild_gates(&old);
  replan(clock_.now());
  publish();
  return note + fmt::format("policy {} loaded: {} classes, {} rules (generation {})\n", policy_.path,
                            policy_.classes.size(), policy_.rules.size(), policy_generation_);
}

}  // namespace wansteer
