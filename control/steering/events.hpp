// EventLog: every link state change and steering change as one structured line (JSON) on stdout, the recent ones
// kept for `wansteerctl show events`, and failover totals by (class, from, to, cause) for metrics.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace wansteer {

struct Event {
  uint64_t unix_ms = 0;
  std::string kind;  // "link_state", "steer", "admin", "sla", "budget"
  std::string link;  // link_state/sla: the link
  std::string cls;   // steer/sla: the class
  std::string from, to;
  std::string cause;           // probe_timeout, suspect_no_rx, recovered, admin_down, sla_loss, no_link_meets_sla, ...
  std::string existing_flows;  // steer away from a link still usable: "stay" (only new flows move) or "move"
  double loss_pct = 0, rtt_ms = 0, jitter_ms = 0;  // the measurements behind the decision
  uint64_t used_bytes = 0, budget_bytes = 0;       // budget events: the link's usage in its period, and its budget
  std::string json() const;
};

// `show events` in text: a table of TIME, EVENT, LINK/CLASS and DETAIL (from -> to, cause, the measurements).
std::string events_table(const std::vector<Event>& events);

class EventLog {
 public:
  explicit EventLog(size_t keep = 512) : keep_(keep) {}
  // Stamps the time (if unset), prints it as one JSON line (nothing else on the line) and keeps it.
  void emit(Event e);
  std::vector<Event> recent(size_t n) const;
  uint64_t total() const { return total_; }

  using FailoverKey = std::tuple<std::string, std::string, std::string, std::string>;  // class, from, to, cause
  const std::map<FailoverKey, uint64_t>& failovers() const { return failovers_; }

 private:
  size_t keep_;
  uint64_t total_ = 0;
  std::deque<Event> events_;
  std::map<FailoverKey, uint64_t> failovers_;
};

}  // namespace wansteer
