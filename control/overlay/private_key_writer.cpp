// O_CREAT|O_EXCL with mode 0600 from the start, so the key is never readable by others, not even for a moment, and
// an existing key (perhaps the one a running site uses) is never replaced. The text written is wiped afterwards.
#include "control/overlay/private_key_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "control/overlay/x25519.hpp"

namespace wansteer::wg {

namespace {

// Why a key may not be created in `dir`, or "" when it may.
std::string directory_problem(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return fmt::format("directory {}: {}", dir, std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return fmt::format("{} is not a directory", dir);
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0)
    return fmt::format(
        "directory {} is writable by every user (mode {:04o}): another user could replace the key "
        "file; pick a directory only root can write to",
        dir, st.st_mode & 07777);
  return "";
}

bool write_key_text(int fd, const char* text, size_t len) {
  while (len > 0) {
    const ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::optional<Key> write_new_private_key_file(const std::string& path, std::string* why) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (*why = directory_problem(dir); !why->empty()) return std::nullopt;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *why = errno == EEXIST ? fmt::format(
                                 "key file {} exists already; it is never overwritten (remove it first if "
                                 "you really mean to replace that key)",
                                 path)
                           : fmt::format("key file {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  Key key = generate_private_key();
  std::string text = key_to_base64(key) + "\n";
  const Key pub = public_key_of(key);
  OPENSSL_cleanse(key.data(), key.size());
  // fchmod: the umask may have taken bits off 0600 (never added any); the owner must be able to read it.
  const bool ok = fchmod(fd, 0600) == 0 && write_key_text(fd, text.data(), text.size()) && fsync(fd) == 0;
  const int err = errno;
  OPENSSL_cleanse(text.data(), text.size());
  if (close(fd) != 0 || !ok) {
    *why = fmt::format("key file {}: {}", path, std::strerror(ok ? errno : err));
    unlink(path.c_str());
    return std::nullopt;
  }
  return pub;
}

}  // namespace wansteer::wg
