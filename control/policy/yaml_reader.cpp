// Generic YAML reading for the policy: checked maps, lists and typed scalars, each reporting its own errors.
#include "control/policy/yaml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "control/policy/did_you_mean.hpp"
#include "control/policy/value_parsers.hpp"

namespace wansteer::policy_reader {

const char* kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map of keys";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a single value";
  }
}

std::optional<Fields> read_map(Diagnostics& diag, const Item& it, const std::string& what,
                               const std::vector<std::string>& valid) {
  if (!it.node.IsMap()) {
    diag.error(it.mark, fmt::format("{} must be a map of keys ({}), got {}", what, join(valid), kind_of(it.node)));
    return std::nullopt;
  }
  Fields out;
  out.mark = it.node.Mark();
  for (auto kv = it.node.begin(); kv != it.node.end(); ++kv) {
    // Copies on purpose: yaml-cpp's iterator-> hands out a temporary, so a reference would dangle.
    const YAML::Node k = kv->first;
    const YAML::Node v = kv->second;
    if (!k.IsScalar()) {
      diag.error(k.Mark(), fmt::format("{}: keys must be plain words, got {}", what, kind_of(k)));
      continue;
    }
    const std::string& key = k.Scalar();
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      diag.error(k.Mark(), fmt::format("{}: unknown key \"{}\"{}; valid keys are {}", what, key, suggest(key, valid),
                                       join(valid)));
      continue;
    }
    if (const Field* first = out.get(key)) {
      diag.error(k.Mark(),
                 fmt::format("{}: key \"{}\" appears twice (first on line {})", what, key, first->key.Mark().line + 1));
      continue;
    }
    out.items.push_back(Field{key, k, v});
  }
  return out;
}

std::optional<Fields> read_map(Diagnostics& diag, const Item& it, const std::string& what,
                               std::initializer_list<const char*> valid) {
  return read_map(diag, it, what, std::vector<std::string>(valid.begin(), valid.end()));
}

bool require_key(Diagnostics& diag, const Fields& f, const char* key, const std::string& what) {
  if (f.get(key)) return true;
  diag.error(f.mark, fmt::format("{}: missing required key \"{}\"", what, key));
  return false;
}

std::optional<std::vector<Item>> read_list(Diagnostics& diag, const Item& it, const std::string& what, bool scalar_ok,
                                           bool empty_ok) {
  if (it.node.IsNull()) {
    diag.error(it.mark, fmt::format("{} has no value", what));
    return std::nullopt;
  }
  if (it.node.IsScalar() && scalar_ok) return std::vector<Item>{it};
  if (!it.node.IsSequence()) {
    diag.error(it.mark, fmt::format("{} must be a list{}, got {}", what, scalar_ok ? " or a single value" : "",
                                    kind_of(it.node)));
    return std::nullopt;
  }
  if (it.node.size() == 0 && !empty_ok) {
    diag.error(it.mark, fmt::format("{} is an empty list", what));
    return std::nullopt;
  }
  std::vector<Item> out;
  for (const auto& e : it.node) {
    // A null element ("- " with nothing) has no mark of its own; point at the list instead.
    out.push_back(Item{e, e.IsNull() || e.Mark().is_null() ? it.mark : e.Mark()});
  }
  return out;
}

std::optional<std::string> read_text(Diagnostics& diag, const Item& it, const std::string& what) {
  if (it.node.IsNull()) {
    diag.error(it.mark, fmt::format("{} has no value", what));
    return std::nullopt;
  }
  if (!it.node.IsScalar()) {
    diag.error(it.mark, fmt::format("{} must be a single value, got {}", what, kind_of(it.node)));
    return std::nullopt;
  }
  return it.node.Scalar();
}

std::optional<uint64_t> read_integer(Diagnostics& diag, const Item& it, const std::string& what, uint64_t lo,
                                     uint64_t hi) {
  auto parse = [](std::string_view s) {
    uint64_t v = 0;
    return parse_decimal(s, v) ? std::optional<uint64_t>(v) : std::nullopt;
  };
  auto malformed = [&](const std::string& s) {
    return fmt::format("must be a whole number from {} to {}, got \"{}\"", lo, hi, s);
  };
  return read_bounded(diag, it, what, parse, lo, hi, malformed, fmt::format("{} to {}", lo, hi));
}

std::optional<double> read_number(Diagnostics& diag, const Item& it, const std::string& what, double lo, double hi) {
  auto malformed = [&](const std::string& s) {
    return fmt::format("must be a number from {} to {}, got \"{}\"", lo, hi, s);
  };
  return read_bounded(diag, it, what, parse_number, lo, hi, malformed, fmt::format("{} to {}", lo, hi));
}

std::optional<bool> read_boolean(Diagnostics& diag, const Item& it, const std::string& what) {
  auto s = read_text(diag, it, what);
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "yes" || *s == "on") return true;
  if (*s == "false" || *s == "no" || *s == "off") return false;
  diag.error(it.mark, fmt::format("{} must be true or false, got \"{}\"", what, *s));
  return std::nullopt;
}

std::optional<std::string> read_choice(Diagnostics& diag, const Item& it, const std::string& what,
                                       std::initializer_list<const char*> options) {
  auto s = read_text(diag, it, what);
  if (!s) return std::nullopt;
  std::vector<std::string> names(options.begin(), options.end());
  if (std::find(names.begin(), names.end(), *s) != names.end()) return s;
  diag.error(it.mark, fmt::format("{} \"{}\" must be one of {}{}", what, *s, join(names), suggest(*s, names)));
  return std::nullopt;
}

}  // namespace wansteer::policy_reader
