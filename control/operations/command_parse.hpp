// Operator command parsing, apart from running them: the request line taken from what a control-socket client
// sent, and that line parsed into a command of the table (commands.hpp) with its arguments. Pure: no I/O, no state.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "control/operations/commands.hpp"

namespace wansteer {

// The most a client may send before its request is taken as it is (the rest is not read).
inline constexpr size_t kCtlMaxRequest = 4096;

// True once `received` holds a whole request: a newline, or kCtlMaxRequest bytes.
bool ctl_request_complete(std::string_view received);
// The request line in `received`: everything before the first newline (all of it when there is none).
std::string ctl_request_line(std::string_view received);

// Words of a command line (spaces, tabs and CRs separate them).
std::vector<std::string> split_words(const std::string& line);

// One parsed request line.
struct CtlRequest {
  enum class Kind { help, command, drill_usage, unknown };
  Kind kind = Kind::help;
  const CtlCommandSpec* command = nullptr;  // Kind::command only
  std::vector<std::string> args;            // the words after the command's own (Kind::command only)
  bool json = false;                        // --json anywhere on the line
  size_t count = 0;                         // show events: N (default 50, at least 1); show flows: N in 1..1000 (10)
};

CtlRequest parse_ctl_request(const std::string& line);

}  // namespace wansteer
