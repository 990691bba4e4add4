// Reads and checks a STAMP key file. Permissions are checked on the opened descriptor (fstat), so the file checked
// is the file read; a key that every local user can read is no secret, so it is refused rather than warned about.
#include "control/health/stamp_key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace wansteer::stamp {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The bytes the hex text spells; nullopt with *why on a non-hex character or an odd digit count.
std::optional<Key> parse_hex(const std::string& text, const std::string& path, std::string* why) {
  Key key;
  int high = -1;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const int v = hex_value(c);
    if (v < 0) {
      *why = fmt::format("key file {}: the key must be hex digits (e.g. from `openssl rand -hex 32`)", path);
      return std::nullopt;
    }
    if (high < 0) {
      high = v;
    } else {
      key.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) {
    *why = fmt::format("key file {}: odd number of hex digits", path);
    return std::nullopt;
  }
  return key;
}

// The file's text, read through `fd` after its type and mode were checked; nullopt with *why otherwise.
std::optional<std::string> read_checked(int fd, const std::string& path, std::string* why) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    *why = fmt::format("key file {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = fmt::format("key file {}: not a regular file", path);
    return std::nullopt;
  }
  if (st.st_mode & (S_IROTH | S_IWOTH)) {
    *why = fmt::format("key file {}: mode {:04o} lets every user read or change the key; chmod 600 it", path,
                       st.st_mode & 07777);
    return std::nullopt;
  }
  if (st.st_size > static_cast<off_t>(kMaxKeyFileBytes)) {
    *why = fmt::format("key file {}: {} bytes, more than a key file holds (at most {})", path, st.st_size,
                       kMaxKeyFileBytes);
    return std::nullopt;
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  size_t got = 0;
  for (ssize_t n; got < text.size() && (n = read(fd, text.data() + got, text.size() - got)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = fmt::format("key file {}: {}", path, std::strerror(errno));
      return std::nullopt;
    }
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

}  // namespace

std::optional<Key> read_key_file(const std::string& path, std::string* why) {
  // O_NONBLOCK: a FIFO named by mistake must not hang the loader (it is refused as not a regular file).
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    *why = fmt::format("key file {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::optional<std::string> text = read_checked(fd, path, why);
  close(fd);
  if (!text) return std::nullopt;
  std::optional<Key> key = parse_hex(*text, path, why);
  OPENSSL_cleanse(text->data(), text->size());  // the only copy of the secret left is the key itself
  if (key && key->size() < kMinKeyBytes) {
    *why = fmt::format("key file {}: the key is {} bytes, at least {} are needed", path, key->size(), kMinKeyBytes);
    return std::nullopt;
  }
  return key;
}

}  // namespace wansteer::stamp
