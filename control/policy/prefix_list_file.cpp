// Prefix-list files named by rules, read once each; errors point at the list file's line and column.
#include "control/policy/prefix_list_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "control/policy/value_parsers.hpp"

namespace wansteer::policy_reader {

namespace {

namespace fs = std::filesystem;

constexpr int kMaxErrorsPerPrefixList = 10;  // past this a list file is probably not a prefix list at all

// Reads the lines of an open list file into `pl`; false when any line was bad.
bool read_lines(Diagnostics& diag, std::ifstream& in, const std::string& path, const YAML::Mark& order,
                PrefixList& pl) {
  std::string line;
  int line_no = 0, errors = 0;
  bool ok = true;
  while (std::getline(in, line)) {
    ++line_no;
    std::string_view v = line;
    if (auto hash = v.find('#'); hash != std::string_view::npos) v = v.substr(0, hash);
    std::string_view t = trim(v);
    if (t.empty()) continue;
    int col = static_cast<int>(t.data() - line.data()) + 1;
    auto space = t.find_first_of(" \t");
    std::string why;
    std::optional<AnyPrefix> p;
    if (space != std::string_view::npos)
      why = fmt::format("one prefix per line; \"{}\" has more after the prefix", t);
    else
      p = parse_prefix(t, why);
    if (!p) {
      ok = false;
      if (++errors <= kMaxErrorsPerPrefixList) diag.error_in(SourceLoc{path, line_no, col}, order, why);
      continue;
    }
    if (p->v6)
      pl.v6.push_back(p->p6);
    else
      pl.v4.push_back(p->p4);
  }
  if (errors > kMaxErrorsPerPrefixList)
    diag.error_in(SourceLoc{path, line_no, 1}, order,
                  fmt::format("{} more bad lines not shown; is this a prefix list?", errors - kMaxErrorsPerPrefixList));
  return ok;
}

}  // namespace

const PrefixList* PrefixListFiles::get(Diagnostics& diag, const Item& it, const std::string& what) {
  auto rel = read_text(diag, it, what);
  if (!rel) return nullptr;
  if (rel->empty()) {
    diag.error(it.mark, fmt::format("{} is an empty file name", what));
    return nullptr;
  }
  std::string path = (fs::path(base_dir_) / *rel).lexically_normal().string();
  if (auto found = lists_.find(path); found != lists_.end()) return &found->second;
  PrefixList& pl = lists_[path];
  std::error_code ec;
  std::ifstream in;
  if (!fs::is_directory(path, ec)) in.open(path);
  if (!in.is_open()) {
    int e = fs::is_directory(path, ec) ? EISDIR : errno;
    diag.error(it.mark, fmt::format("{}: cannot open {}: {}", what, path, std::strerror(e)));
    return &pl;
  }
  bool ok = read_lines(diag, in, path, it.mark, pl);
  if (ok && pl.v4.empty() && pl.v6.empty()) {
    // An empty list would leave the rule's address side empty, which means "any address": refuse it.
    diag.error_in(SourceLoc{path, 1, 1}, it.mark,
                  "prefix list contains no prefixes (a rule using it would match any address)");
    ok = false;
  }
  pl.ok = ok;
  return &pl;
}

}  // namespace wansteer::policy_reader
