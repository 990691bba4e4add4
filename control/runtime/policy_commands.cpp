// --check and --explain: load each policy, report errors and warnings on stderr, results on stdout.
#include "control/runtime/policy_commands.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "control/operations/policy_explain.hpp"
#include "control/policy/policy.hpp"
#include "control/policy/policy_diff.hpp"

namespace wansteer {

namespace {

std::string count(size_t n, const char* what) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s"); }

// --against: the changes from the running policy, one a line under the file's ok line. False when a reload would
// be refused (a port or link change).
bool print_changes(const Policy& running, const Policy& next) {
  const std::vector<PolicyChange> cs = diff_policies(running, next);
  if (cs.empty()) fmt::print("  no changes\n");
  for (const auto& c : cs) fmt::print("  {}{}\n", c.text(), c.live ? "" : "  (not applied until restart)");
  if (!changes_ports(cs)) return true;
  fmt::print(stderr, "{}: a reload would be refused: it changes ports or links; restart wansteer to apply it\n",
             next.path);
  return false;
}

}  // namespace

int check_policy_files(const std::vector<std::string>& paths, bool strict, const std::string& against) {
  int rc = 0;
  PolicyResult running;
  if (!against.empty()) {
    running = load_policy(against);
    if (!running.ok()) {
      for (const auto& e : running.errors) fmt::print(stderr, "{}\n", e.to_string());
      fmt::print(stderr, "{}: invalid ({}); --against needs a valid policy\n", against,
                 count(running.errors.size(), "error"));
      return 1;
    }
  }
  // Every file, also after a bad one: `--check policies/*.yaml` must not mislead.
  for (const std::string& path : paths) {
    PolicyResult r = load_policy(path);
    for (const auto& e : r.errors) fmt::print(stderr, "{}\n", e.to_string());
    for (const auto& w : r.warnings) fmt::print(stderr, "{}\n", w.to_string());
    if (!r.ok()) {
      fmt::print(stderr, "{}: invalid ({})\n", path, count(r.errors.size(), "error"));
      rc = 1;
      continue;
    }
    if (strict && !r.warnings.empty()) {
      fmt::print(stderr, "{}: invalid with --strict ({})\n", path, count(r.warnings.size(), "warning"));
      rc = 1;
      continue;
    }
    fmt::print("{}: ok ({} links, {} classes, {} rules{})\n", path, r.policy->links.size(), r.policy->classes.size(),
               r.policy->rules.size(), r.warnings.empty() ? "" : ", " + count(r.warnings.size(), "warning"));
    if (running.policy && !print_changes(*running.policy, *r.policy)) rc = 1;
  }
  std::fflush(stdout);
  return rc;
}

int explain_policy_file(const std::string& path, bool markdown) {
  PolicyResult r = load_policy(path);
  if (!r.ok()) {
    for (const auto& e : r.errors) fmt::print(stderr, "{}\n", e.to_string());
    fmt::print(stderr, "{}: invalid ({})\n", path, count(r.errors.size(), "error"));
    return 1;
  }
  const PolicyExplanation e = explain_policy(*r.policy, std::move(r.warnings));
  fmt::print("{}", markdown ? explain_markdown(*r.policy, e) : explain_text(*r.policy, e));
  std::fflush(stdout);
  return 0;
}

}  // namespace wansteer
