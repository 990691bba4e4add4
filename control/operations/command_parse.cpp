// Operator command parsing (control thread): request framing, words, --json, the table entry and its count.
#include "control/operations/command_parse.hpp"

#include <algorithm>
#include <cstdlib>

namespace wansteer {

bool ctl_request_complete(std::string_view received) {
  return received.size() >= kCtlMaxRequest || received.find('\n') != std::string_view::npos;
}

std::string ctl_request_line(std::string_view received) { return std::string(received.substr(0, received.find('\n'))); }

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

// N of `show events [N]` and `show flows [N]`; strtol's reading of the word, as the commands always took it.
size_t count_of(const CtlCommandSpec& c, const std::vector<std::string>& args) {
  if (c.id == CtlCommand::show_events)
    return args.empty() ? 50 : static_cast<size_t>(std::max(1L, std::strtol(args[0].c_str(), nullptr, 10)));
  if (c.id == CtlCommand::show_flows)
    return args.empty() ? 10 : static_cast<size_t>(std::clamp(std::strtol(args[0].c_str(), nullptr, 10), 1L, 1000L));
  return 0;
}

}  // namespace

CtlRequest parse_ctl_request(const std::string& line) {
  CtlRequest r;
  std::vector<std::string> w = split_words(line);
  std::erase_if(w, [&](const std::string& s) {
    if (s == "--json") r.json = true;
    return s == "--json";
  });
  if (w.empty() || w[0] == "help") return r;
  r.command = find_ctl_command(w);
  if (r.command == nullptr) {
    r.kind = w[0] == "drill" ? CtlRequest::Kind::drill_usage : CtlRequest::Kind::unknown;
    return r;
  }
  r.kind = CtlRequest::Kind::command;
  const size_t own = ctl_detail::split(r.command->words).size();
  r.args.assign(w.begin() + static_cast<std::ptrdiff_t>(own), w.end());
  r.count = count_of(*r.command, r.args);
  return r;
}

}  // namespace wansteer
