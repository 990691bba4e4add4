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

TEST_CASE("command check: wansteerctl's local verdict on words and counts, before any daemon", "[commands]") {
  CHECK(ctl_usage_error({"show", "links"}).empty());
  CHECK(ctl_usage_error({"show", "events", "20"}).empty());
  CHECK(ctl_usage_error({"drill", "start", "fiber", "30"}).empty());
  CHECK(ctl_usage_error({"link", "down", "anything"}).empty());  // link names are the daemon's to check
  CHECK(ctl_usage_error({"frobnicate"}).rfind("unknown command \"frobnicate\"; try: show counters", 0) == 0);
  // A known first word narrows the list to its commands.
  const std::string show = ctl_usage_error({"show", "bogus"});
  CHECK(show.rfind("unknown command \"show bogus\"; try: show counters | show links", 0) == 0);
  CHECK(show.find("link down") == std::string::npos);
  CHECK(ctl_usage_error({"link", "down"}).find("link down NAME | link up NAME") != std::string::npos);
  CHECK(ctl_usage_error({"show", "events", "x"}) ==
        "\"show events x\": N must be a whole number from 1 to 1000000 (show events [N])");
  CHECK_FALSE(ctl_usage_error({"show", "flows", "0"}).empty());
  CHECK_FALSE(ctl_usage_error({"drill", "start", "fiber", "-3"}).empty());
  CHECK_FALSE(ctl_usage_error({}).empty());
}

TEST_CASE("command dispatch: --json answers every command in JSON, events as a table in text", "[commands]") {
  ControlRig rig([] {
    Policy p = rig_office_skeleton();
    p.classes = {ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
    return p;
  }());
  CHECK(rig.cp->handle_command("ping --json") == "{\"ok\":true,\"message\":\"ok\"}\n");
  CHECK(rig.cp->handle_command("link down fiber --json") == "{\"ok\":true,\"message\":\"link fiber: admin down\"}\n");
  CHECK(rig.cp->handle_command("link up nope --json").rfind("{\"ok\":false,\"error\":\"unknown link \\\"nope\\\"", 0) ==
        0);
  CHECK(rig.cp->handle_command("frobnicate --json").rfind("{\"ok\":false,\"error\":\"unknown command", 0) == 0);
  CHECK(rig.cp->handle_command("drill stop --json").rfind("{\"ok\":false", 0) == 0);
  CHECK(rig.cp->handle_command("reload --json").rfind("{\"ok\":", 0) == 0);  // the rig's policy has no file
  // The admin change above left events: a table with a header, one row each, no JSON.
  const std::string table = rig.cp->handle_command("show events");
  INFO(table);
  CHECK(table.rfind("TIME", 0) == 0);
  CHECK(table.find("EVENT") != std::string::npos);
  CHECK(table.find("LINK/CLASS") != std::string::npos);
  CHECK(table.find("admin_down") != std::string::npos);
  CHECK(table.find("up -> down") != std::string::npos);
  CHECK(table.find('{') == std::string::npos);
  CHECK(events_table({}) == "no events yet\n");
}
