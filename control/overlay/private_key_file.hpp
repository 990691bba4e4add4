// Reads the overlay's WireGuard private key file (base64, as `wg genkey` writes it). A key any other user can read
// or change is no secret: the file must have no group or other permissions (chmod 600), or it is refused.
#pragma once

#include <optional>
#include <string>

#include "dataplane/overlay/keypair.hpp"

namespace wansteer::wg {

// The key, or nullopt with *why (a whole sentence naming the file, never the key's text).
std::optional<Key> read_private_key_file(const std::string& path, std::string* why);

}  // namespace wansteer::wg
