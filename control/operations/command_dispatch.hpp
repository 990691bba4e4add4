// Operator command dispatch: one control-socket line, parsed against the command table (command_parse.hpp),
// runs the matching action; replies are text, or JSON with --json.
#pragma once
#include <string>
#include <vector>

#include "control/operations/stats.hpp"
#include "control/runtime/neighbours.hpp"
#include "control/runtime/overlay_control.hpp"
#include "control/steering/events.hpp"

namespace wansteer {

// What operator commands act on (the control plane). Each returns the reply text.
class OperatorActions {
 public:
  virtual ~OperatorActions() = default;
  virtual StatsView stats_view() = 0;
  virtual std::vector<Event> recent_events(size_t n) const = 0;
  // The overlay to the hub now; the default: none configured.
  virtual OverlayView overlay_view() const { return {}; }
  virtual std::string top_flows(size_t n, bool json) = 0;
  // The LAN hosts the edge knows or is asking for; the default: none.
  virtual std::vector<Neighbours::Row> lan_neighbors() const { return {}; }
  virtual std::string set_link_admin(const std::string& name, bool up) = 0;
  // dry_run: check the file and say what would change, apply nothing. json: the reply as one JSON object.
  virtual std::string reload_policy(bool dry_run, bool json) = 0;
  virtual std::string drill_start(const std::string& link, const std::string& seconds) = 0;
  virtual std::string drill_stop(bool json) = 0;
  virtual std::string drill_status(bool json) = 0;
};

// One command line in, the reply out.
std::string dispatch_command(const std::string& line, OperatorActions& actions);

}  // namespace wansteer
