// The STAMP authenticated mode's shared secret, read from the operator's key file: hex digits (whitespace and
// newlines ignored, so `openssl rand -hex 32 > FILE` makes one), at least 16 bytes, not readable by every user.
#pragma once
#include <optional>
#include <string>

#include "control/health/stamp_auth.hpp"

namespace wansteer::stamp {

inline constexpr size_t kMinKeyBytes = 16;        // RFC 8762 leaves key length to us; 128 bits is the HMAC's own size
inline constexpr size_t kMaxKeyFileBytes = 4096;  // a key file is tiny: anything larger is the wrong file

// The key in `path`; nullopt with *why (one line, naming the file) when it cannot be opened, is not a regular file,
// can be read or written by every user, is not hex, or holds fewer than kMinKeyBytes bytes.
std::optional<Key> read_key_file(const std::string& path, std::string* why);

}  // namespace wansteer::stamp
