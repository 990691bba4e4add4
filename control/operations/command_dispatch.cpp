// Operator command dispatch (control thread): parsed request (command_parse.hpp) -> action -> reply text.
#include "control/operations/command_dispatch.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/operations/command_parse.hpp"
#include "control/operations/commands.hpp"
#include "control/operations/neighbors_show.hpp"
#include "control/operations/overlay_show.hpp"

namespace wansteer {

namespace {

std::string events_reply(const std::vector<Event>& events, bool json) {
  // Each event renders itself (events.cpp); a JSON reply is their array, a text reply a table.
  if (!json) return events_table(events);
  std::string out = "[";
  for (const Event& e : events) out += (out.size() > 1 ? "," : "") + e.json();
  return out + "]\n";
}

// A text reply (reload, link, drill start, ping, errors) as JSON for --json: {"ok":true,"message":"..."} or
// {"ok":false,"error":"..."}, so scripts read every command's answer the same way.
std::string json_of_text(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const bool failed = text.rfind("error", 0) == 0;
  if (failed) text.erase(0, text.rfind("error: ", 0) == 0 ? 7 : 5);
  nlohmann::ordered_json j{{"ok", !failed}, {failed ? "error" : "message", text}};
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
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
    case CtlCommand::show_overlay: {
      const OverlayView o = a.overlay_view();
      const StatsView v = a.stats_view();  // the links' and classes' names, the plan, the drops
      return json ? overlay_json(v, o) + "\n" : overlay_text(v, o);
    }
    case CtlCommand::show_events:
      return events_reply(a.recent_events(r.count), json);
    case CtlCommand::show_flows:
      return a.top_flows(r.count, json);
    case CtlCommand::show_neighbors:
      return neighbors_reply(a.lan_neighbors(), json);
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
    case CtlCommand::reload_dry_run:
      return a.reload_policy(r.command->id == CtlCommand::reload_dry_run, json);
    case CtlCommand::ping:
      return "ok\n";
  }
  return "error: internal: unhandled command\n";
}

std::string answer(const CtlRequest& r, OperatorActions& actions, const std::string& line) {
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

}  // namespace

std::string dispatch_command(const std::string& line, OperatorActions& actions) {
  const CtlRequest r = parse_ctl_request(line);
  std::string reply = answer(r, actions, line);
  if (r.json && !reply.empty() && reply.front() != '[' && reply.front() != '{') reply = json_of_text(std::move(reply));
  return reply;
}

}  // namespace wansteer
