// The policy loader's entry points: reads the file, parses the YAML and runs the section readers in the order that
// lets each check against the ones before it; errors come back in file order.
#include "control/policy/policy_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control/policy/policy_warnings.hpp"
#include "control/policy/sections.hpp"

namespace wansteer {

namespace {

namespace fs = std::filesystem;
using namespace policy_reader;

// Where the first tab in a line's indentation is (YAML indents with spaces only), or a null mark.
YAML::Mark first_indenting_tab(const std::string& text) {
  YAML::Mark m;
  for (size_t i = 0; i < text.size(); m.line++) {
    const size_t end = std::min(text.find('\n', i), text.size());
    const size_t content = text.find_first_not_of(" \t", i);
    const size_t tab = text.find('\t', i);
    if (tab < end && tab < content && content < end && text[content] != '#' && text[content] != '\r') {
      m.column = static_cast<int>(tab - i);
      m.pos = static_cast<int>(tab);
      return m;
    }
    i = end + 1;
  }
  return YAML::Mark::null_mark();
}

// The YAML document, or a null node with the syntax error reported.
YAML::Node load_yaml(Diagnostics& diag, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    // yaml-cpp says "end of map not found" or the like for a tab; name the tab itself where there is one.
    if (const YAML::Mark tab = first_indenting_tab(text);
        !tab.is_null() && (e.mark.is_null() || tab.line <= e.mark.line)) {
      diag.error(tab, "tab in indentation: YAML indents with spaces only; replace the tab with spaces");
      return YAML::Node{};
    }
    diag.error(e.mark, fmt::format("YAML syntax error: {} (check indentation, colons and quotes)", e.msg));
  } catch (const YAML::Exception& e) {
    diag.error(e.mark, fmt::format("cannot read YAML: {}", e.msg));
  }
  return YAML::Node{};
}

// The top-level map's sections, in dependency order: probing defaults before links, lan and links before classes,
// classes before rules and the shaper.
void read_sections(Diagnostics& diag, const Fields& top, const std::string& base_dir, Policy& policy) {
  ProbeSpec probing;  // top-level defaults for every link's probe
  if (const Field* pr = top.get("probing")) read_probe(diag, item(*pr), "probing", base_dir, probing);
  if (const Field* n = top.get("name"))
    if (auto s = read_text(diag, item(*n), "name")) policy.name = *s;
  bool lan_ok = false, links_ok = false;
  if (const Field* lan = top.get("lan"))
    lan_ok = read_lan(diag, *lan, policy.lan);
  else
    require_key(diag, top, "lan", "policy");
  if (const Field* links = top.get("links"))
    links_ok = read_links(diag, *links, probing, policy.lan.device, base_dir, policy.links);
  else
    require_key(diag, top, "links", "policy");
  if (lan_ok && links_ok) check_forwards(diag, policy.lan, policy.links);
  if (const Field* ov = top.get("overlay")) read_overlay(diag, *ov, base_dir, policy.lan, policy.overlay);
  bool classes_ok = read_classes(diag, top.get("classes"), top.mark, links_ok, policy);
  PrefixListFiles prefix_lists(base_dir);
  RuleContext rules_ctx{diag, policy, lan_ok, classes_ok, prefix_lists, policy.origins.rules};
  if (const Field* rules = top.get("rules")) read_rules(rules_ctx, *rules, policy.rules);
  if (const Field* fc = top.get("flow_cache")) read_flow_cache(diag, *fc, policy.flow_cache);
  if (const Field* na = top.get("nat")) read_nat(diag, *na, policy.nat);
  read_shaper(diag, top.get("shaper"), policy.classes, classes_ok, policy.shaper);
  if (const Field* mt = top.get("metrics")) read_metrics(diag, *mt, policy.metrics);
}

PolicyResult file_error(const std::string& path, const char* what, int err) {
  PolicyResult r;
  r.errors.push_back(PolicyError{SourceLoc{path, 1, 1}, fmt::format("{}: {}", what, std::strerror(err))});
  return r;
}

}  // namespace

PolicyResult parse_policy(const std::string& text, const std::string& file, const std::string& base_dir) {
  Diagnostics diag(file);
  Policy policy;
  policy.path = file;
  YAML::Node root = load_yaml(diag, text);
  if (diag.empty()) {
    if (root.IsNull()) {
      diag.error(YAML::Mark::null_mark(), "policy file is empty");
    } else if (auto top = read_map(diag, Item{root, root.Mark()}, "policy",
                                   {"name", "lan", "links", "overlay", "classes", "rules", "flow_cache", "probing",
                                    "metrics", "shaper", "nat"})) {
      read_sections(diag, *top, base_dir, policy);
    }
  }
  PolicyResult result;
  result.errors = diag.take_in_file_order();
  if (result.errors.empty()) {
    result.warnings = policy_warnings(policy);
    result.policy = std::move(policy);
  }
  return result;
}

PolicyResult load_policy(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return file_error(path, "cannot open", EISDIR);
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_error(path, "cannot open", errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return file_error(path, "cannot read", errno);
  return parse_policy(text.str(), path, fs::path(path).parent_path().string());
}

}  // namespace wansteer
