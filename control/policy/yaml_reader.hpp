// Generic YAML reading for the policy: maps with checked keys (unknown keys get "did you mean"), lists, and typed
// scalars (text, whole numbers, numbers, booleans, choices). Each reader reports its own error with the node's
// line and column to the Diagnostics and returns nullopt on failure.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "control/policy/diagnostics.hpp"

namespace wansteer::policy_reader {

// One key of a YAML map with its value; marks come from both (a null value has no useful mark of its own).
struct Field {
  std::string name;
  YAML::Node key;
  YAML::Node value;
};

struct Fields {
  std::vector<Field> items;
  YAML::Mark mark;  // where the map starts: missing required keys are reported here
  const Field* get(std::string_view k) const {
    for (const auto& f : items)
      if (f.name == k) return &f;
    return nullptr;
  }
};

// An element to validate: its node and where to point when it is wrong.
struct Item {
  YAML::Node node;
  YAML::Mark mark;
};

// Where a field's problems are reported: at its value, or at its key when the value is empty.
inline YAML::Mark at(const Field& f) { return f.value.IsNull() ? f.key.Mark() : f.value.Mark(); }
inline Item item(const Field& f) { return Item{f.value, at(f)}; }

// "a list", "a map of keys", "nothing" or "a single value", for "got ..." in messages.
const char* kind_of(const YAML::Node& n);

// A map whose keys must be among `valid` (in the order messages list them), each at most once.
std::optional<Fields> read_map(Diagnostics& diag, const Item& it, const std::string& what,
                               const std::vector<std::string>& valid);
std::optional<Fields> read_map(Diagnostics& diag, const Item& it, const std::string& what,
                               std::initializer_list<const char*> valid);

// True when `key` is in the map; else reports it missing, at the map's start.
bool require_key(Diagnostics& diag, const Fields& f, const char* key, const std::string& what);

// A list (or, with scalar_ok, one value standing for a list of one); null elements point at the list.
std::optional<std::vector<Item>> read_list(Diagnostics& diag, const Item& it, const std::string& what, bool scalar_ok,
                                           bool empty_ok);

std::optional<std::string> read_text(Diagnostics& diag, const Item& it, const std::string& what);
std::optional<uint64_t> read_integer(Diagnostics& diag, const Item& it, const std::string& what, uint64_t lo,
                                     uint64_t hi);
std::optional<double> read_number(Diagnostics& diag, const Item& it, const std::string& what, double lo, double hi);

// A scalar that `parse` (text -> optional<T>) turns into a number in [lo, hi]. `malformed(text)` words the error
// when it does not parse (after "what "); `allowed` ends the out-of-range error ("... allowed 1 to 10").
template <typename T, typename Parse, typename Malformed>
std::optional<T> read_bounded(Diagnostics& diag, const Item& it, const std::string& what, Parse parse, T lo, T hi,
                              Malformed malformed, const std::string& allowed) {
  auto s = read_text(diag, it, what);
  if (!s) return std::nullopt;
  std::optional<T> v = parse(*s);
  if (!v) {
    diag.error(it.mark, fmt::format("{} {}", what, malformed(*s)));
    return std::nullopt;
  }
  if (*v < lo || *v > hi) {
    diag.error(it.mark, fmt::format("{} {} is out of range: allowed {}", what, *s, allowed));
    return std::nullopt;
  }
  return v;
}
std::optional<bool> read_boolean(Diagnostics& diag, const Item& it, const std::string& what);
std::optional<std::string> read_choice(Diagnostics& diag, const Item& it, const std::string& what,
                                       std::initializer_list<const char*> options);

}  // namespace wansteer::policy_reader
