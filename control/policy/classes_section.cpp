// The classes section: each class's allowed links in preference order, steering mode, SLA, breach/recovery and
// stickiness, rate limits; and the implicit default class when the policy does not name one.
#include <fmt/format.h>

#include <algorithm>

#include "control/policy/class_limits.hpp"
#include "control/policy/did_you_mean.hpp"
#include "control/policy/sections.hpp"
#include "control/policy/value_readers.hpp"

namespace wansteer::policy_reader {

namespace {

// sla: voice | interactive | bulk | {preset, max_loss_pct, max_rtt_ms, max_jitter_ms}
void read_sla(Diagnostics& diag, const Item& it, const std::string& what, SlaSpec& spec) {
  if (it.node.IsScalar()) {
    if (auto c = read_choice(diag, it, what, {"voice", "interactive", "bulk"})) spec = *sla_preset(*c);
    return;
  }
  auto m = read_map(diag, it, what, {"preset", "max_loss_pct", "max_rtt_ms", "max_jitter_ms"});
  if (!m) return;
  if (const Field* p = m->get("preset"))
    if (auto c = read_choice(diag, item(*p), what + " preset", {"voice", "interactive", "bulk"}))
      spec = *sla_preset(*c);
  bool custom = false;
  if (const Field* f = m->get("max_loss_pct"))
    if (auto v = read_number(diag, item(*f), what + " max_loss_pct", 0, 100)) spec.max_loss_pct = *v, custom = true;
  if (const Field* f = m->get("max_rtt_ms"))
    if (auto v = read_number(diag, item(*f), what + " max_rtt_ms", 1, 60000)) spec.max_rtt_ms = *v, custom = true;
  if (const Field* f = m->get("max_jitter_ms"))
    if (auto v = read_number(diag, item(*f), what + " max_jitter_ms", 0, 60000)) spec.max_jitter_ms = *v, custom = true;
  if (custom) spec.preset = "custom";
}

// links: names of links, in preference order, each once.
void read_class_links(Diagnostics& diag, const Field& lf, const std::string& what, const Policy& policy, bool links_ok,
                      ClassSpec& spec) {
  auto refs = read_list(diag, item(lf), what + " links", true, false);
  if (!refs) return;
  std::vector<std::string> link_names;
  for (const auto& l : policy.links) link_names.push_back(l.name);
  for (const auto& r : *refs) {
    auto n = read_text(diag, r, what + " link");
    if (!n || !links_ok) continue;
    int idx = policy.link_index(*n);
    if (idx < 0) {
      diag.error(r.mark, fmt::format("{}: unknown link \"{}\"{}; links are {}", what, *n, suggest(*n, link_names),
                                     join(link_names)));
    } else if (std::find(spec.links.begin(), spec.links.end(), idx) != spec.links.end()) {
      diag.error(r.mark, fmt::format("{}: link \"{}\" is listed twice", what, *n));
    } else {
      spec.links.push_back(static_cast<uint8_t>(idx));
    }
  }
}

// mode, sla, on_sla_breach, on_recovery, stick_by: how the class is steered.
void read_steering(Diagnostics& diag, const Fields& m, const std::string& what, ClassSpec& spec) {
  if (const Field* mf = m.get("mode")) {
    if (auto s = read_choice(diag, item(*mf), what + " mode", {"priority", "balance", "best"}))
      spec.mode = *s == "priority" ? SteerMode::priority : *s == "balance" ? SteerMode::balance : SteerMode::best;
  }
  if (const Field* sf = m.get("sla")) read_sla(diag, item(*sf), what + " sla", spec.sla);
  if (const Field* bf = m.get("on_sla_breach"))
    if (auto s = read_choice(diag, item(*bf), what + " on_sla_breach", {"move", "stay"}))
      spec.on_sla_breach = *s == "move" ? OnBreach::move : OnBreach::stay;
  if (const Field* rf = m.get("on_recovery"))
    if (auto s = read_choice(diag, item(*rf), what + " on_recovery", {"auto", "return", "stay"}))
      spec.on_recovery = *s == "return" ? OnRecovery::back : *s == "stay" ? OnRecovery::stay : OnRecovery::automatic;
  if (const Field* kf = m.get("stick_by"))
    if (auto s = read_choice(diag, item(*kf), what + " stick_by", {"flow", "host-pair"}))
      spec.stick_by = *s == "flow" ? StickBy::flow : StickBy::host_pair;
}

// duplicate: copies over a second overlay path; the receiver's replay window must be able to drop them, so only
// overlay paths carry copies (a direct copy would reach the server twice).
void read_duplicate(Diagnostics& diag, const Field& f, const std::string& what, ClassSpec& spec) {
  auto s = read_choice(diag, item(f), what + " duplicate", {"never", "always", "when_out_of_sla"});
  if (!s) return;
  spec.duplicate = *s == "always"            ? Duplicate::always
                   : *s == "when_out_of_sla" ? Duplicate::when_out_of_sla
                                             : Duplicate::never;
  const bool overlay = std::any_of(spec.paths.begin(), spec.paths.end(),
                                   [](const PathSpec& p) { return p.kind == PathSpec::Kind::overlay; });
  if (spec.duplicate != Duplicate::never && !overlay)
    diag.error(at(f), fmt::format("{} duplicate: {} needs overlay paths (paths: [overlay, ...]): copies go through "
                                  "the hub, whose replay window drops the second",
                                  what, *s));
}

// One class; appended to policy.classes and policy.class_limits even when wrong, so positions stay class ids.
void read_class(Diagnostics& diag, const Item& it, size_t index, bool links_ok, Policy& policy) {
  ClassSpec spec;
  spec.loc = diag.loc(it.mark);
  std::string what = label("class", it.node, index);
  ClassLimitSpec limits;
  auto m = read_map(diag, it, what,
                    {"name", "links", "paths", "mode", "sla", "on_sla_breach", "on_recovery", "stick_by", "duplicate",
                     "limit", "on_backup", "on_budget_exhausted"});
  if (m) {
    if (const Field* nf = m->get("name")) {
      if (auto n = read_name(diag, item(*nf), what + " name")) {
        if (policy.class_index(*n) >= 0) diag.error(at(*nf), fmt::format("class name \"{}\" is used twice", *n));
        what = fmt::format("class \"{}\"", *n);
      }
      if (nf->value.IsScalar()) spec.name = nf->value.Scalar();
    } else {
      require_key(diag, *m, "name", what);
    }
    if (const Field* lf = m->get("links"))
      read_class_links(diag, *lf, what, policy, links_ok, spec);
    else
      require_key(diag, *m, "links", what);
    if (const Field* pf = m->get("paths")) read_class_paths(diag, *pf, what, policy, links_ok, spec);
    read_steering(diag, *m, what, spec);
    if (const Field* df = m->get("duplicate")) read_duplicate(diag, *df, what, spec);
    if (const Field* lf = m->get("limit")) limits.limit = read_rate_limit(diag, item(*lf), what + " limit");
    if (const Field* bf = m->get("on_backup")) read_on_backup(diag, *bf, what, limits);
    if (const Field* ef = m->get("on_budget_exhausted")) read_on_budget_exhausted(diag, *ef, what, limits);
  }
  policy.classes.push_back(std::move(spec));
  policy.class_limits.push_back(limits);
}

}  // namespace

bool read_classes(Diagnostics& diag, const Field* f, const YAML::Mark& root_mark, bool links_ok, Policy& policy) {
  YAML::Mark count_mark = f ? at(*f) : root_mark;
  size_t declared = 0;
  if (f && !f->value.IsNull()) {
    auto items = read_list(diag, item(*f), "classes", false, true);
    if (!items) return false;
    declared = items->size();
    for (size_t i = 0; i < items->size(); ++i) read_class(diag, (*items)[i], i, links_ok, policy);
  }
  policy.origins.classes = diag.loc(count_mark);
  policy.origins.declared_classes = declared;
  bool have_default = policy.class_index("default") >= 0;
  size_t total = declared + (have_default ? 0 : 1);
  if (total > kMaxClasses)
    diag.error(count_mark, fmt::format("{} classes{}; at most {} are allowed including default", total,
                                       have_default ? "" : " (with the implicit default)", kMaxClasses));
  if (!have_default) {
    // Unmatched traffic must go somewhere: by default it may use every link, in the order they are listed.
    ClassSpec def;
    def.name = "default";
    def.loc = diag.loc(count_mark);
    for (size_t i = 0; i < policy.links.size() && i < kMaxLinks; ++i) def.links.push_back(static_cast<uint8_t>(i));
    policy.classes.push_back(std::move(def));
    policy.class_limits.push_back(ClassLimitSpec{});
  }
  policy.default_class = static_cast<uint8_t>(std::max(0, policy.class_index("default")));
  return true;
}

}  // namespace wansteer::policy_reader
