// Operator command dispatch (control thread): parsed request (command_parse.hpp) -> action -> reply text.
#include "control/operations/command_dispatch.hpp"

#include <fmt/format.h>

#include "control/operations/command_parse.hpp"
#include "control/operations/commands.hpp"

namespace wansteer {

namespace {

std::string events_reply(const std::vector<Event>& events, bool json) {
  // Each event renders itself (events.cpp); a JSON reply is their array.
  std::string out = json ? "[" : "";
  bool first = true;
  for (const Event& e : events) {
    out += json ? (first ? "" : ",") + e.json() : e.json() + "\n";
    first = false;
  }
  return json ? out + "]\n" : out;
}

std::string run(const CtlRequest& r, OperatorActions& a) {
  const bool json = r.json;
  switch (r.command->id) {
    case CtlCommand::show_counters: {
      const StatsView v = a.stats_view();
      return json ? counters_json(v) + "\n" : counters_text(v);
    }
    case CtlCommand::show_links: {
      const StatsView v = a.stats_view();
      return json ? links_json(v) + "\n" : links_text(v);
    }
    case CtlCommand::show_classes: {
      const StatsView v = a.stats_view();
      return json ? classes_json(v) + "\n" : classes_text(v);
    }
    case CtlCommand::show_events:
      return events_reply(a.recent_events(r.count), json);
    case CtlCommand::show_flows:
      return a.top_flows(r.count, json);
    case CtlCommand::link_down:
    case CtlCommand::link_up:
      return a.set_link_admin(r.args[0], r.command->id == CtlCommand::link_up);
    case CtlCommand::drill_start:
      return a.drill_start(r.args[0], r.args[1]);
    case CtlCommand::drill_status:
      return a.drill_status(json);
    case CtlCommand::drill_stop:
      return a.drill_stop(json);
    case CtlCommand::reload:
      return a.reload_policy();
    case CtlCommand::ping:
      return "ok\n";
  }
  return "error: internal: unhandled command\n";
}

}  // namespace

std::string dispatch_command(const std::string& line, OperatorActions& actions) {
  const CtlRequest r = parse_ctl_request(line);
  switch (r.kind) {
    case CtlRequest::Kind::help:
      return "commands: " + ctl_summary() + "  (add --json)\n";
    case CtlRequest::Kind::command:
      return run(r, actions);
    case CtlRequest::Kind::drill_usage:
      return "error: " + ctl_summary("drill") + "\n";
    case CtlRequest::Kind::unknown:
      break;
  }
  return fmt::format("error: unknown command \"{}\"; try: {}\n", line, ctl_summary());
}

}  // namespace wansteer
