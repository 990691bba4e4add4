// Prefix-list files named by rules: one IPv4 or IPv6 prefix per line, # comments. Each file is read (and its errors,
// which point into the list file, reported) once, however many rules name it.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "control/policy/yaml_reader.hpp"

namespace wansteer::policy_reader {

struct PrefixList {
  bool ok = false;
  std::vector<Prefix4> v4;
  std::vector<Prefix6> v6;
};

class PrefixListFiles {
 public:
  explicit PrefixListFiles(std::string base_dir) : base_dir_(std::move(base_dir)) {}

  // The list that `it` names, relative to the policy's directory; nullptr when `it` is not a file name. Errors are
  // sorted as if they were at `it`.
  const PrefixList* get(Diagnostics& diag, const Item& it, const std::string& what);

 private:
  std::string base_dir_;
  std::map<std::string, PrefixList> lists_;  // by resolved path
};

}  // namespace wansteer::policy_reader
