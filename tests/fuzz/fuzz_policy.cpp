// libFuzzer target for the policy loader: any text is either a policy or a list of errors, each pointing
// inside the text (FILE:LINE:COLUMN) with a reason; never a crash, a hang or an exception escaping.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "control/policy/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // policies are small; longer inputs only slow the search down
  const std::string text(reinterpret_cast<const char*>(data), size);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  // prefix-list files are looked up under base_dir: a folder with none, so only the text is read
  const wansteer::PolicyResult r = wansteer::parse_policy(text, "fuzz.yaml", "/nonexistent-wansteer-fuzz");
  if (r.ok() != r.errors.empty()) __builtin_trap();
  for (const auto& e : r.errors) {
    if (e.reason.empty() || e.loc.file != "fuzz.yaml") __builtin_trap();
    // line 0 is allowed for file-wide problems; otherwise the line must exist (+1: yaml's end-of-input mark)
    if (e.loc.line < 0 || static_cast<size_t>(e.loc.line) > lines + 1) __builtin_trap();
  }
  return 0;
}
