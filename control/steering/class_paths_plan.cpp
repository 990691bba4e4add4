// A class's paths for the planner (issue 13): expands `paths:` into (link, kind) candidates and finds, per link,
// whether one of them can carry the class now and which kind it uses.
#include "control/steering/class_paths_plan.hpp"

namespace wansteer {

namespace {

void add_candidate(PathCandidates& out, uint8_t link, bool overlay) {
  if (link >= kMaxLinks) return;
  for (uint32_t i = 0; i < out.n; i++)
    if (out.at[i].link == link && out.at[i].overlay == overlay) return;  // a duplicate: the first one stands
  out.at[out.n++] = PathCandidate{link, overlay};
}

uint16_t path_link_bit(uint8_t link) { return static_cast<uint16_t>(1u << link); }

}  // namespace

PathCandidates expand_class_paths(const ClassSpec& spec) {
  PathCandidates out;
  if (spec.paths.empty()) {
    for (uint8_t l : spec.links) add_candidate(out, l, false);
    return out;
  }
  for (const PathSpec& p : spec.paths) {
    const bool overlay = p.kind == PathSpec::Kind::overlay;
    if (p.via >= 0)
      add_candidate(out, static_cast<uint8_t>(p.via), overlay);
    else
      for (uint8_t l : spec.links) add_candidate(out, l, overlay);
  }
  return out;
}

ClassLinkOrder order_class_links(const ClassSpec& spec, size_t c, const PlanInput& in) {
  ClassLinkOrder o;
  const PathCandidates cand = expand_class_paths(spec);
  uint16_t alive_mask = 0, ok_mask = 0;
  uint16_t first_overlay = 0, alive_overlay = 0, ok_overlay = 0;  // per link: the kind of its first such candidate
  for (uint32_t i = 0; i < cand.n; i++) {
    const uint8_t l = cand.at[i].link;
    const uint16_t b = path_link_bit(l);
    const uint16_t kind = cand.at[i].overlay ? b : 0;
    if (!(o.allowed_mask & b)) first_overlay |= kind;
    o.allowed_mask |= b;
    // The overlay needs the link itself too: its packets leave through it.
    if (!in.alive[l] || (cand.at[i].overlay && !in.overlay_alive[l])) continue;
    if (!(alive_mask & b)) {
      alive_mask |= b;
      alive_overlay |= kind;
      o.alive[o.n_alive++] = l;
    }
    // An overlay candidate is judged on its path's figures (probes through the tunnel) when there are some, so a
    // link's first qualifying candidate may come after its first usable one ([overlay, direct] with the tunnel out
    // of SLA and the line itself fine: direct).
    const bool sla = cand.at[i].overlay && in.overlay_probed ? in.overlay_sla_ok[c][l] : in.sla_ok[c][l];
    if (sla && !(ok_mask & b)) {
      ok_mask |= b;
      ok_overlay |= kind;
      o.ok[o.n_ok++] = l;
    }
  }
  o.overlay_mask = static_cast<uint16_t>((ok_overlay & ok_mask) | (alive_overlay & alive_mask & ~ok_mask) |
                                         (first_overlay & ~alive_mask));
  return o;
}

uint8_t duplicate_link(const ClassSpec& spec, const ClassLinkOrder& order, uint8_t primary) {
  const auto overlay = [&](uint8_t l) { return l < kMaxLinks && ((order.overlay_mask >> l) & 1u); };
  if (spec.duplicate == Duplicate::never || !overlay(primary)) return kNoLink;
  if (spec.duplicate == Duplicate::when_out_of_sla) {
    uint16_t ok = 0;
    for (uint32_t i = 0; i < order.n_ok; i++) ok = static_cast<uint16_t>(ok | (1u << order.ok[i]));
    bool trouble = false;
    for (uint32_t i = 0; i < order.n_alive; i++)
      trouble = trouble || (overlay(order.alive[i]) && !((ok >> order.alive[i]) & 1u));
    if (!trouble) return kNoLink;
  }
  for (uint32_t i = 0; i < order.n_alive; i++)
    if (order.alive[i] != primary && overlay(order.alive[i])) return order.alive[i];
  return kNoLink;
}

}  // namespace wansteer
