// Curve25519 keys for WireGuard from libsodium: generation, public from private, the DH of the handshake (an all-zero
// result is refused, as WireGuard does), and the base64 text form that wg(8) uses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dataplane/overlay/keypair.hpp"

namespace wansteer::wg {

// A fresh private key (clamped) from the system's CSPRNG.
Key generate_private_key();
Key public_key_of(const Key& private_key);
// X25519(private_key, public_key); false for a low-order peer key (all-zero shared secret).
bool x25519(const Key& private_key, const Key& public_key, Key* shared);

std::string key_to_base64(const Key& k);
// The 44-character base64 form; nullopt for anything else.
std::optional<Key> key_from_base64(std::string_view text);

}  // namespace wansteer::wg
