// "Did you mean" suggestions and joined name lists for the policy reader's messages.
#include "control/policy/did_you_mean.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace wansteer::policy_reader {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

// A key written without its unit or as a longer word: "hold_down" for hold_down_ms, "upload" for up. The shorter
// of the two must be at least two characters long.
bool prefix_of_either(std::string_view word, std::string_view option) {
  const std::string_view shorter = word.size() < option.size() ? word : option;
  const std::string_view longer = word.size() < option.size() ? option : word;
  return shorter.size() >= 2 && shorter != longer && longer.substr(0, shorter.size()) == shorter;
}

}  // namespace

std::string suggest(std::string_view word, const std::vector<std::string>& options) {
  std::string best;
  size_t best_d = 3;
  for (const auto& o : options) {
    size_t d = edit_distance(word, o);
    if (d < best_d && d < std::max<size_t>(o.size(), 2)) {
      best_d = d;
      best = o;
    }
  }
  // No close typo: the first option that the word starts with, or that starts with the word.
  for (size_t i = 0; best.empty() && i < options.size(); i++)
    if (prefix_of_either(word, options[i])) best = options[i];
  return best.empty() ? std::string{} : fmt::format(" (did you mean \"{}\"?)", best);
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

}  // namespace wansteer::policy_reader
