// The operator command table: the dispatch finds each command by its words and argument count, and the help
// texts list every command from the same table.
#include <catch2/catch.hpp>

#include "control/operations/commands.hpp"
#include "tests/unit/control_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

TEST_CASE("command table: words and argument counts pick the command", "[commands]") {
  auto find = [](const std::vector<std::string>& w) {
    const CtlCommandSpec* c = find_ctl_command(w);
    return c ? ctl_synopsis(*c) : std::string("-");
  };
  CHECK(find({"show", "links"}) == "show links");
  CHECK(find({"show", "links", "x"}) == "-");
  CHECK(find({"show", "events"}) == "show events [N]");
  CHECK(find({"show", "events", "5"}) == "show events [N]");
  CHECK(find({"show", "events", "5", "6"}) == "-");
  CHECK(find({"link", "down"}) == "-");
  CHECK(find({"link", "down", "fiber"}) == "link down NAME");
  CHECK(find({"drill", "start", "fiber", "30"}) == "drill start LINK SECONDS");
  CHECK(find({"reload"}) == "reload");
  for (const CtlCommandSpec& c : kCtlCommands) CHECK(ctl_help_lines().find(ctl_synopsis(c)) != std::string::npos);
}

TEST_CASE("command dispatch: help, ping and unknown commands", "[commands]") {
  ControlRig rig([] {
    Policy p = rig_office_skeleton();
    p.classes = {ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
    return p;
  }());
  const std::string help = rig.cp->handle_command("help");
  for (const CtlCommandSpec& c : kCtlCommands) CHECK(help.find(ctl_synopsis(c)) != std::string::npos);
  CHECK(rig.cp->handle_command("ping") == "ok\n");
  CHECK(rig.cp->handle_command("frobnicate").rfind("error: unknown command \"frobnicate\"; try: show counters", 0) ==
        0);
  CHECK(rig.cp->handle_command("show events --json").front() == '[');
  CHECK(rig.cp->handle_command("show flows --json") == "[]\n");
  CHECK(rig.cp->handle_command("link down fiber") == "link fiber: admin down\n");
  CHECK(rig.cp->handle_command("link down nope").rfind("error: unknown link \"nope\" (links: fiber, lte)", 0) == 0);
}
