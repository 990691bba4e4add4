// health_event: an Event carrying a link's measurements at the moment of a decision (link state, SLA, steer,
// admin, drill events all report them).
#pragma once
#include <string>

#include "control/health/link_health.hpp"
#include "control/steering/events.hpp"

namespace wansteer {

inline Event health_event(std::string kind, const LinkMetrics& m) {
  Event e;
  e.kind = std::move(kind);
  e.loss_pct = m.loss_pct;
  e.rtt_ms = m.rtt_ms;
  e.jitter_ms = m.jitter_ms;
  return e;
}

}  // namespace wansteer
