// libFuzzer target for the control socket's commands: any bytes a client sends are framed into a request line,
// parsed (command_parse.hpp) and dispatched to recording operator actions; parse and dispatch must agree.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/operations/command_dispatch.hpp"
#include "control/operations/command_parse.hpp"

using namespace wansteer;

namespace {

// Operator actions that record what they were asked and answer with views of a two-link, two-class policy.
class RecordingActions final : public OperatorActions {
 public:
  RecordingActions() {
    LinkSpec fiber;
    fiber.name = "fiber";
    LinkSpec lte;
    lte.name = "lte";
    lte.role = LinkRole::backup;
    policy_.links = {fiber, lte};
    ClassSpec voip;
    voip.name = "voip";
    voip.links = {0, 1};
    ClassSpec other = voip;
    other.name = "default";
    other.mode = SteerMode::balance;
    policy_.classes = {voip, other};
    policy_.default_class = 1;
  }
  StatsView stats_view() override {
    StatsView v;
    v.policy = &policy_;
    v.links.resize(policy_.links.size());
    v.classes.resize(policy_.classes.size());
    v.classes[0].links = {"fiber"};
    called("stats");
    return v;
  }
  std::vector<Event> recent_events(size_t n) const override {
    last_count = n;
    return {};
  }
  std::string top_flows(size_t n, bool /*json*/) override {
    last_count = n;
    return called("flows");
  }
  std::string set_link_admin(const std::string& name, bool /*up*/) override {
    arg0 = name;
    return called("admin");
  }
  std::string reload_policy(bool, bool) override { return called("reload"); }
  std::string drill_start(const std::string& link, const std::string& seconds) override {
    arg0 = link;
    arg1 = seconds;
    return called("drill_start");
  }
  std::string drill_stop(bool /*json*/) override { return called("drill_stop"); }
  std::string drill_status(bool /*json*/) override { return called("drill_status"); }

  // Forgets what the last input asked; the policy stays (built once: it is most of an input's cost otherwise).
  void reset() {
    last.clear();
    last_count = 0;
    arg0.clear();
    arg1.clear();
  }
  std::string last;
  mutable size_t last_count = 0;
  std::string arg0, arg1;

 private:
  std::string called(const char* what) {
    last = what;
    return "done\n";
  }
  Policy policy_;
};

bool has_word(const std::vector<std::string>& w, std::string_view s) {
  for (const std::string& x : w)
    if (x == s) return true;
  return false;
}

// What parse_ctl_request promises about any line.
void check_parse(const std::string& line, const CtlRequest& r) {
  if (line.find('\n') != std::string::npos) __builtin_trap();
  const std::vector<std::string> w = split_words(line);
  for (const std::string& x : w)
    if (x.empty() || x.find_first_of(" \t\r") != std::string::npos) __builtin_trap();
  if (r.json != has_word(w, "--json")) __builtin_trap();
  if ((r.kind == CtlRequest::Kind::command) != (r.command != nullptr)) __builtin_trap();
  if (r.kind != CtlRequest::Kind::command) return;
  size_t required = 0, optional = 0;
  for (std::string_view a : ctl_detail::split(r.command->args)) (a.front() == '[' ? optional : required)++;
  if (r.args.size() < required || r.args.size() > required + optional) __builtin_trap();
  if (r.command->id == CtlCommand::show_events && r.count < 1) __builtin_trap();
  if (r.command->id == CtlCommand::show_flows && (r.count < 1 || r.count > 1000)) __builtin_trap();
}

// The dispatch ran the parsed command with the parsed arguments, and nothing for a line that names none.
void check_dispatch(const CtlRequest& r, const RecordingActions& a, const std::string& reply) {
  // every reply is whole lines; only `show events` with no events answers nothing at all
  const bool may_be_empty = r.command != nullptr && r.command->id == CtlCommand::show_events;
  if ((reply.empty() && !may_be_empty) || (!reply.empty() && reply.back() != '\n')) __builtin_trap();
  if (r.kind != CtlRequest::Kind::command) {
    // help is the command list, anything else an error; as text, or with --json as {"ok":...}
    const bool help = r.kind == CtlRequest::Kind::help;
    const bool error = reply.rfind("error: ", 0) == 0 || reply.rfind("{\"ok\":false", 0) == 0;
    const bool listed = reply.rfind("commands: ", 0) == 0 || reply.rfind("{\"ok\":true", 0) == 0;
    if (!a.last.empty() || (help ? !listed : !error)) __builtin_trap();
    return;
  }
  switch (r.command->id) {
    case CtlCommand::show_events:
    case CtlCommand::show_flows:
      if (a.last_count != r.count) __builtin_trap();
      break;
    case CtlCommand::link_down:
    case CtlCommand::link_up:
      if (a.last != "admin" || a.arg0 != r.args[0]) __builtin_trap();
      break;
    case CtlCommand::drill_start:
      if (a.last != "drill_start" || a.arg0 != r.args[0] || a.arg1 != r.args[1]) __builtin_trap();
      break;
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view received(reinterpret_cast<const char*>(data), std::min(size, kCtlMaxRequest));
  const std::string line = ctl_request_line(received);
  if (line.size() > received.size()) __builtin_trap();
  const CtlRequest r = parse_ctl_request(line);
  check_parse(line, r);
  static RecordingActions actions;
  actions.reset();
  const std::string reply = dispatch_command(line, actions);
  check_dispatch(r, actions, reply);
  return 0;
}
