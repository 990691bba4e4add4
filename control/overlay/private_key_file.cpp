// The mode is checked on the opened descriptor (fstat), so the file checked is the file read. The text read is
// wiped after parsing; error messages never quote it.
#include "control/overlay/private_key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>

#include "control/overlay/x25519.hpp"

namespace wansteer::wg {

namespace {

constexpr size_t kMaxPrivateKeyFileBytes = 128;  // 44 characters of base64 and some white space

std::optional<Key> parse_key_text(char* text, size_t len, const std::string& path, std::string* why) {
  size_t b = 0, e = len;
  while (b < e && std::strchr(" \t\r\n", text[b]) != nullptr) b++;
  while (e > b && std::strchr(" \t\r\n", text[e - 1]) != nullptr) e--;
  auto key = key_from_base64(std::string_view(text + b, e - b));
  OPENSSL_cleanse(text, len);
  if (!key)
    *why = fmt::format("key file {}: not a WireGuard private key (44 characters of base64, from `wg genkey`)", path);
  return key;
}

// Why a key file with this status cannot be used, or "" when it can.
std::string mode_problem(const struct stat& st, const std::string& path) {
  if (!S_ISREG(st.st_mode)) return fmt::format("key file {}: not a regular file", path);
  if (st.st_mode & 077)
    return fmt::format("key file {}: mode {:04o} lets other users at the private key; chmod 600 it", path,
                       st.st_mode & 07777);
  return "";
}

}  // namespace

std::optional<Key> read_private_key_file(const std::string& path, std::string* why) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = fmt::format("key file {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  struct stat st {};
  char text[kMaxPrivateKeyFileBytes + 1];
  ssize_t n = -1;
  const bool stat_ok = fstat(fd, &st) == 0;
  if (stat_ok && (*why = mode_problem(st, path)).empty()) n = read(fd, text, sizeof text);
  const int err = !stat_ok || (why->empty() && n < 0) ? errno : 0;
  close(fd);
  if (err != 0) *why = fmt::format("key file {}: {}", path, std::strerror(err));
  if (n > static_cast<ssize_t>(kMaxPrivateKeyFileBytes))
    *why = fmt::format("key file {}: longer than a key file (at most {} bytes)", path, kMaxPrivateKeyFileBytes);
  if (n < 0 || n > static_cast<ssize_t>(kMaxPrivateKeyFileBytes)) {
    OPENSSL_cleanse(text, sizeof text);
    return std::nullopt;
  }
  return parse_key_text(text, static_cast<size_t>(n), path, why);
}

}  // namespace wansteer::wg
