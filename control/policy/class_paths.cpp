// A class's paths: (issue 13): the order in which it may use the overlay and direct links, e.g. [overlay, direct]
// or [overlay via fiber, overlay via lte, direct via fiber]. Read and checked here; the planner steers by them.
#include <fmt/format.h>

#include <algorithm>

#include "control/policy/did_you_mean.hpp"
#include "control/policy/sections.hpp"

namespace wansteer::policy_reader {

namespace {

// "overlay", "direct", "overlay via fiber": the path, or nullopt with the error reported.
std::optional<PathSpec> parse_path(Diagnostics& diag, const Item& it, const std::string& what, const Policy& policy,
                                   bool links_ok) {
  auto s = read_text(diag, it, what);
  if (!s) return std::nullopt;
  std::string kind = *s, via;
  if (const size_t sp = s->find(" via "); sp != std::string::npos) {
    kind = s->substr(0, sp);
    via = s->substr(sp + 5);
    via.erase(0, via.find_first_not_of(' '));
  }
  PathSpec p;
  if (kind == "overlay") {
    p.kind = PathSpec::Kind::overlay;
    if (!policy.overlay.enabled) {
      diag.error(it.mark, fmt::format("{} \"{}\" needs the overlay section (hub and private_key_file)", what, *s));
      return std::nullopt;
    }
  } else if (kind != "direct") {
    diag.error(it.mark, fmt::format("{} \"{}\": a path is overlay or direct, optionally \"via LINK\"", what, *s));
    return std::nullopt;
  }
  if (!via.empty()) {
    p.via = policy.link_index(via);
    if (p.via < 0) {
      if (links_ok) {
        std::vector<std::string> names;
        for (const auto& l : policy.links) names.push_back(l.name);
        diag.error(it.mark, fmt::format("{}: unknown link \"{}\"{}", what, via, suggest(via, names)));
      }
      return std::nullopt;
    }
  }
  return p;
}

}  // namespace

void read_class_paths(Diagnostics& diag, const Field& f, const std::string& what, const Policy& policy, bool links_ok,
                      ClassSpec& spec) {
  auto items = read_list(diag, item(f), what + " paths", true, false);
  if (!items) return;
  for (const Item& it : *items) {
    auto p = parse_path(diag, it, what + " path", policy, links_ok);
    if (!p) continue;
    if (std::find(spec.paths.begin(), spec.paths.end(), *p) != spec.paths.end()) {
      diag.error(it.mark, fmt::format("{}: path \"{}\" is listed twice", what, it.node.Scalar()));
      continue;
    }
    spec.paths.push_back(*p);
  }
}

}  // namespace wansteer::policy_reader
