// Control-socket request parsing without a control plane: framing of what a client sent, words, --json, the
// command table entry, its arguments and the count of `show events` / `show flows`.
#include <catch2/catch.hpp>

#include "control/operations/command_parse.hpp"

using namespace wansteer;

TEST_CASE("command parse: the request line ends at the first newline or at the size cap", "[commands]") {
  CHECK_FALSE(ctl_request_complete("show li"));
  CHECK(ctl_request_complete("show links\n"));
  CHECK(ctl_request_complete(std::string(kCtlMaxRequest, 'x')));
  CHECK_FALSE(ctl_request_complete(std::string(kCtlMaxRequest - 1, 'x')));
  CHECK(ctl_request_line("show links\nping\n") == "show links");
  CHECK(ctl_request_line("ping") == "ping");
  CHECK(ctl_request_line("\nping") == "");
}

TEST_CASE("command parse: words, --json anywhere, the command and its arguments", "[commands]") {
  CHECK(split_words(" \tshow\r\r links  ") == std::vector<std::string>{"show", "links"});
  CtlRequest r = parse_ctl_request("--json link \t down fiber\r");
  REQUIRE(r.kind == CtlRequest::Kind::command);
  CHECK(r.command->id == CtlCommand::link_down);
  CHECK(r.args == std::vector<std::string>{"fiber"});
  CHECK(r.json);
  r = parse_ctl_request("drill start lte 30");
  REQUIRE(r.kind == CtlRequest::Kind::command);
  CHECK(r.args == std::vector<std::string>{"lte", "30"});
  CHECK_FALSE(r.json);
  CHECK(parse_ctl_request("").kind == CtlRequest::Kind::help);
  CHECK(parse_ctl_request(" --json ").kind == CtlRequest::Kind::help);
  CHECK(parse_ctl_request("help me").kind == CtlRequest::Kind::help);
  CHECK(parse_ctl_request("drill start lte").kind == CtlRequest::Kind::drill_usage);
  CHECK(parse_ctl_request("link down").kind == CtlRequest::Kind::unknown);
  CHECK(parse_ctl_request("show links extra").kind == CtlRequest::Kind::unknown);
  CHECK(parse_ctl_request("--JSON ping").kind == CtlRequest::Kind::unknown);
}

TEST_CASE("command parse: show events and show flows counts, defaulted and bounded", "[commands]") {
  auto count = [](const char* line) {
    const CtlRequest r = parse_ctl_request(line);
    REQUIRE(r.kind == CtlRequest::Kind::command);
    return r.count;
  };
  CHECK(count("show events") == 50);
  CHECK(count("show events 7") == 7);
  CHECK(count("show events 0") == 1);
  CHECK(count("show events -5") == 1);
  CHECK(count("show events x") == 1);
  CHECK(count("show flows") == 10);
  CHECK(count("show flows 3") == 3);
  CHECK(count("show flows 99999999999999999999") == 1000);
  CHECK(count("show flows -1") == 1);
  CHECK(count("ping") == 0);
}
