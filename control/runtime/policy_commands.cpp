// --check and --explain: load each policy, report errors and warnings on stderr, results on stdout.
#include "control/runtime/policy_commands.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "control/operations/policy_explain.hpp"
#include "control/policy/policy.hpp"

namespace wansteer {

namespace {

std::string count(size_t n, const char* what) { return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s"); }

}  // namespace

int check_policy_files(const std::vector<std::string>& paths, bool strict) {
  int rc = 0;
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
