// A class's paths as the planner sees them (issue 13): the ordered (link, direct or overlay) candidates its
// `paths:` expand to, and which of them can carry the class now, per link and in the class's order.
#pragma once
#include <cstdint>

#include "control/steering/planner.hpp"

namespace wansteer {

// One way out for a class: straight out of `link`, or through the overlay to the hub over `link`.
struct PathCandidate {
  uint8_t link = kNoLink;
  bool overlay = false;
};

// A class's candidates in its order: `paths` expanded (`direct`/`overlay` without `via`: over each of the class's
// `links` in order; `X via L`: that one, even when L is not among `links`), the first of any duplicate kept.
// Empty `paths`: direct over each of `links`, the behaviour before paths existed.
struct PathCandidates {
  PathCandidate at[2 * kMaxLinks];
  uint32_t n = 0;
};
PathCandidates expand_class_paths(const ClassSpec& spec);

// The links a class can use now, in the order of their first usable candidate, and the kind used on each.
struct ClassLinkOrder {
  uint16_t allowed_mask = 0;  // links with at least one candidate
  uint16_t overlay_mask = 0;  // links whose kind is overlay (see link_kinds)
  uint8_t alive[kMaxLinks];   // links with a usable candidate: link alive and, for overlay, the overlay up over it
  uint32_t n_alive = 0;
  uint8_t ok[kMaxLinks];  // those of `alive` that meet the class's SLA, same order
  uint32_t n_ok = 0;
};

// Per link, the kind is that of its first qualifying candidate (usable, SLA met); else of its first usable one
// (a fallback link, or an alive link out of SLA that a flow may stay on); else of its first candidate (the link
// is not usable, so the bit only says what it would be). A direct candidate's SLA is judged on the link's own health
// figures, an overlay one's on its path's (PlanInput::overlay_sla_ok, when probed). A link whose only candidates are
// overlay ones is
// never usable while the overlay over it is down: an overlay-only class must not leak straight out of a link.
ClassLinkOrder order_class_links(const ClassSpec& spec, size_t c, const PlanInput& in);

// The link that gets a copy of the class's packets (duplicate:), or kNoLink: with `primary` (the class's first link
// now) on an overlay path, the first other link of `order.alive` whose kind is overlay too; for when_out_of_sla only
// while some alive overlay link of the class is out of its SLA (the trouble duplication is for).
uint8_t duplicate_link(const ClassSpec& spec, const ClassLinkOrder& order, uint8_t primary);

}  // namespace wansteer
