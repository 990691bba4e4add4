// Operator command dispatch (control thread): words -> table entry -> action.
#include "control/operations/command_dispatch.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "control/operations/commands.hpp"

namespace wansteer {

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> w;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') j++;
    if (j > i) w.push_back(line.substr(i, j - i));
    i = j;
  }
  return w;
}

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

std::string run(const CtlCommandSpec& c, const std::vector<std::string>& w, bool json, OperatorActions& a) {
  switch (c.id) {
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
    case CtlCommand::show_events: {
      const size_t n = w.size() == 3 ? static_cast<size_t>(std::max(1L, std::strtol(w[2].c_str(), nullptr, 10))) : 50;
      return events_reply(a.recent_events(n), json);
    }
    case CtlCommand::show_flows: {
      const long n = w.size() == 3 ? std::clamp(std::strtol(w[2].c_str(), nullptr, 10), 1L, 1000L) : 10;
      return a.top_flows(static_cast<size_t>(n), json);
    }
    case CtlCommand::link_down:
    case CtlCommand::link_up:
      return a.set_link_admin(w[2], c.id == CtlCommand::link_up);
    case CtlCommand::drill_start:
      return a.drill_start(w[2], w[3]);
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
  std::vector<std::string> w = split_words(line);
  bool json = false;
  std::erase_if(w, [&](const std::string& s) {
    if (s == "--json") json = true;
    return s == "--json";
  });
  if (w.empty() || w[0] == "help") return "commands: " + ctl_summary() + "  (add --json)\n";
  if (const CtlCommandSpec* c = find_ctl_command(w)) return run(*c, w, json, actions);
  if (w[0] == "drill") return "error: " + ctl_summary("drill") + "\n";
  return fmt::format("error: unknown command \"{}\"; try: {}\n", line, ctl_summary());
}

}  // namespace wansteer
