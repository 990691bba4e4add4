// wansteer's commands that read a policy and stop without starting the edge: --check and --explain.
#pragma once
#include <string>
#include <vector>

namespace wansteer {

// --check FILE...: checks every file; prints each error as FILE:LINE:COLUMN: reason and each warning as
// FILE:LINE:COLUMN: warning: reason on stderr, then "FILE: invalid (N errors)" on stderr or "FILE: ok (summary)" on
// stdout. 0 when every file is valid (warnings allowed unless `strict`), else 1. With `against` (a running
// policy's file), each valid file's changes from it follow its ok line, as a reload would report them; a change a
// reload would refuse (ports, links) makes the exit 1.
int check_policy_files(const std::vector<std::string>& paths, bool strict, const std::string& against = "");

// --explain FILE: where each class goes in normal operation, per link failure and per link out of the voice SLA,
// as text or (markdown) a runbook section; the warnings too. 1 when the policy is invalid (errors on stderr).
int explain_policy_file(const std::string& path, bool markdown);

}  // namespace wansteer
