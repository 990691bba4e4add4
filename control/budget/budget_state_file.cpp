// Budget state files: a small JSON object, written atomically (temp file, fsync, rename, fsync of the directory).
#include "control/budget/budget_state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wansteer {

namespace {

constexpr size_t kMaxFileBytes = 4096;  // a record is ~100 bytes; anything larger is not ours

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string budget_state_path(const std::string& state_dir, const std::string& link) {
  return fmt::format("{}/budget-{}.json", state_dir, link);
}

std::optional<BudgetRecord> read_budget_state(const std::string& path, std::string* problem) {
  problem->clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno != ENOENT) *problem = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.size() > kMaxFileBytes) {
    *problem = fmt::format("{} is {} bytes, not a budget state file", path, text.size());
    return std::nullopt;
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  const auto field = [&](const char* k) { return j.is_object() && j.contains(k) ? &j.at(k) : nullptr; };
  const nlohmann::json* start = field("period_start");
  const nlohmann::json* used = field("used_bytes");
  const nlohmann::json* pct = field("notified_pct");
  if (!start || !start->is_number_integer() || !used || !used->is_number_unsigned() || !pct ||
      !pct->is_number_unsigned() || pct->get<uint64_t>() > 100) {
    *problem = fmt::format("{} is corrupt (want {{\"period_start\", \"used_bytes\", \"notified_pct\"}})", path);
    return std::nullopt;
  }
  return BudgetRecord{start->get<int64_t>(), used->get<uint64_t>(), pct->get<uint32_t>()};
}

bool write_budget_state(const std::string& path, const BudgetRecord& r, std::string* error) {
  const nlohmann::ordered_json j{
      {"period_start", r.period_start}, {"used_bytes", r.used_bytes}, {"notified_pct", r.notified_pct}};
  const std::string text = j.dump() + "\n";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = fmt::format("cannot create {}: {}", tmp, std::strerror(errno));
    return false;
  }
  const bool ok = write_all(fd, text) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = fmt::format("cannot write {}: {}", path, std::strerror(ok ? errno : saved));
    ::unlink(tmp.c_str());
    return false;
  }
  // The rename itself must reach the disk too, or a power cut could bring back the old file.
  if (const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace wansteer
