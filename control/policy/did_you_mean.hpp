// Text helpers for the policy reader's messages: "did you mean" suggestions for misspelt names, and lists of
// valid names joined for the reader.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wansteer::policy_reader {

// Levenshtein distance: single-character inserts, deletes and substitutions.
size_t edit_distance(std::string_view a, std::string_view b);

// " (did you mean "x"?)" when one option is a likely typo of `word`, else "".
std::string suggest(std::string_view word, const std::vector<std::string>& options);

// "a, b, c"
std::string join(const std::vector<std::string>& items, std::string_view sep = ", ");

}  // namespace wansteer::policy_reader
