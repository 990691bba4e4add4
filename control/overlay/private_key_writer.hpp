// Writes a new overlay private key file (`wansteer overlay keygen`): a fresh X25519 key in the base64 form of
// `wg genkey`, in a file only its owner can read, never over an existing file.
#pragma once

#include <optional>
#include <string>

#include "dataplane/overlay/keypair.hpp"

namespace wansteer::wg {

// Creates `path` (it must not exist yet) with mode 0600 and a new private key in it; returns the key's public half,
// or nullopt with *why (a whole sentence naming the file). Refused in a directory that other users may write to
// without the sticky bit: they could swap the file for their own key later. The private key is never returned.
std::optional<Key> write_new_private_key_file(const std::string& path, std::string* why);

}  // namespace wansteer::wg
