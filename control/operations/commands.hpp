// The operator commands the control socket understands: one table (words, arguments, one-line help) that the
// daemon's dispatch, `wansteerctl --help` and `wansteer --help` all read. Header-only: wansteerctl links no library.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// X(id, words, args, help). args: NAME = required, [NAME] = optional.
#define WANSTEER_CTL_COMMANDS(X)                                                                                    \
  X(show_counters, "show counters", "", "per port, per class x link packets, drops by reason, flows, mempool")      \
  X(show_links, "show links", "", "state (up/degraded/down), loss, RTT, jitter, probes, gateway of every WAN link") \
  X(show_classes, "show classes", "", "where each class runs now, its SLA and the links meeting it")                \
  X(show_overlay, "show overlay", "",                                                                               \
    "the WireGuard overlay to the hub: session, our public key, classes on it per link, counters, drops")           \
  X(show_events, "show events", "[N]", "the last N link, SLA and steering changes (default 50)")                    \
  X(show_flows, "show flows", "[N]", "the N heaviest flows now (default 10): addresses, class, link, bytes")        \
  X(show_neighbors, "show neighbors", "",                                                                           \
    "the LAN hosts the edge knows (ARP): address, MAC, VLAN, static or learned, packets waiting for an answer")     \
  X(link_down, "link down", "NAME", "withdraw a link from steering now (its flows move to the next allowed link)")  \
  X(link_up, "link up", "NAME", "put it back")                                                                      \
  X(drill_start, "drill start", "LINK SECONDS", "failover drill: withdraw LINK for SECONDS, then restore it")       \
  X(drill_status, "drill status", "", "the running drill's state, or the last drill's report")                      \
  X(drill_stop, "drill stop", "", "end the running drill now and report")                                           \
  X(reload, "reload", "",                                                                                           \
    "re-read the policy file and say what changed; an invalid one is rejected, the running one stays")              \
  X(reload_dry_run, "reload --dry-run", "",                                                                         \
    "check the policy file and say what a reload would change; applies nothing")                                    \
  X(ping, "ping", "", "answers ok when the daemon is up")

namespace wansteer {

enum class CtlCommand {
#define WANSTEER_CTL_ID(id, words, args, help) id,
  WANSTEER_CTL_COMMANDS(WANSTEER_CTL_ID)
#undef WANSTEER_CTL_ID
};

struct CtlCommandSpec {
  CtlCommand id;
  std::string_view words, args, help;
};

inline constexpr CtlCommandSpec kCtlCommands[] = {
#define WANSTEER_CTL_SPEC(id, words, args, help) {CtlCommand::id, words, args, help},
    WANSTEER_CTL_COMMANDS(WANSTEER_CTL_SPEC)
#undef WANSTEER_CTL_SPEC
};

// "words args" of a command, e.g. "show events [N]".
inline std::string ctl_synopsis(const CtlCommandSpec& c) {
  return c.args.empty() ? std::string(c.words) : std::string(c.words) + " " + std::string(c.args);
}

// The synopses of the commands whose words start with `prefix` (all: ""), joined by " | ".
inline std::string ctl_summary(std::string_view prefix = "") {
  std::string out;
  for (const CtlCommandSpec& c : kCtlCommands)
    if (c.words.substr(0, prefix.size()) == prefix) out += (out.empty() ? "" : " | ") + ctl_synopsis(c);
  return out;
}

// The commands as help lines, "  words args   help\n", the help texts aligned.
inline std::string ctl_help_lines() {
  size_t width = 0;
  for (const CtlCommandSpec& c : kCtlCommands) width = std::max(width, ctl_synopsis(c).size());
  std::string out;
  for (const CtlCommandSpec& c : kCtlCommands) {
    const std::string syn = ctl_synopsis(c);
    out += "  " + syn + std::string(width - syn.size() + 2, ' ') + std::string(c.help) + "\n";
  }
  return out;
}

namespace ctl_detail {
inline std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}
}  // namespace ctl_detail

// The command `w` (already split into words) names with a valid number of arguments; nullptr when none.
inline const CtlCommandSpec* find_ctl_command(const std::vector<std::string>& w) {
  for (const CtlCommandSpec& c : kCtlCommands) {
    const auto words = ctl_detail::split(c.words);
    if (w.size() < words.size()) continue;
    bool match = true;
    for (size_t i = 0; match && i < words.size(); i++) match = w[i] == words[i];
    if (!match) continue;
    size_t required = 0, optional = 0;
    for (std::string_view a : ctl_detail::split(c.args)) (a.front() == '[' ? optional : required)++;
    const size_t given = w.size() - words.size();
    if (given >= required && given <= required + optional) return &c;
  }
  return nullptr;
}

namespace ctl_detail {
// A count argument (N, SECONDS): whole decimal digits, 1 to 1000000.
inline bool valid_count(std::string_view s) {
  if (s.empty() || s.size() > 7 || !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return false;
  const long v = std::stol(std::string(s));
  return v >= 1 && v <= 1000000;
}
}  // namespace ctl_detail

// Why `w` (already split into words) is not a command of the table with valid arguments, as a message for the
// operator; "" when it is. Only what can be known without the daemon: link names are the daemon's to check.
inline std::string ctl_usage_error(const std::vector<std::string>& w) {
  std::string line;
  for (const std::string& s : w) line += (line.empty() ? "" : " ") + s;
  const CtlCommandSpec* c = w.empty() ? nullptr : find_ctl_command(w);
  if (c == nullptr) {
    // Commands that share the first word ("show bogus", "link down") are the likely intent; else all of them.
    const std::string near = w.empty() ? std::string() : ctl_summary(w[0] + " ");
    return "unknown command \"" + line + "\"; try: " + (near.empty() ? ctl_summary() : near);
  }
  const auto names = ctl_detail::split(c->args);
  const size_t own = ctl_detail::split(c->words).size();
  for (size_t i = 0; i < names.size() && own + i < w.size(); i++) {
    std::string_view name = names[i];
    if (name.front() == '[') name = name.substr(1, name.size() - 2);
    if ((name == "N" || name == "SECONDS") && !ctl_detail::valid_count(w[own + i]))
      return "\"" + line + "\": " + std::string(name) + " must be a whole number from 1 to 1000000 (" +
             ctl_synopsis(*c) + ")";
  }
  return "";
}

}  // namespace wansteer
