// `wansteerctl show overlay` (control thread): the WireGuard overlay to the hub (OverlayView) with the policy's
// names around it: the link its last message left on, the classes that run through it on each link now, its drops.
#pragma once
#include <string>

#include "control/operations/stats.hpp"
#include "control/runtime/overlay_control.hpp"

namespace wansteer {

// `v`: the policy, the classes' overlay links (ClassView::overlay_links) and the drop counters; `o`: the session.
// Without an overlay: {"enabled":false} and a line that says so. Our public key only: never a private key.
std::string overlay_json(const StatsView& v, const OverlayView& o);
std::string overlay_text(const StatsView& v, const OverlayView& o);

// Whether a handshake with the hub has completed (only then does last_handshake_age_ms mean anything).
bool overlay_handshake_done(const OverlayView& o);
// The name of the link the overlay's last message left on; "" before any.
std::string overlay_last_link(const Policy& p, const OverlayView& o);

}  // namespace wansteer
