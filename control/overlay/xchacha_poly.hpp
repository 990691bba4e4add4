// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) from libsodium, for WireGuard's cookie replies: 24-byte random nonces.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/overlay/wg_wire.hpp"

namespace wansteer::wg {

// out receives len + kTagSize bytes (ciphertext then tag).
bool xchacha_seal(const uint8_t key[kKeySize], const uint8_t nonce[kXNonceSize], const uint8_t* aad, size_t aad_len,
                  const uint8_t* in, size_t len, uint8_t* out);
// in holds len + kTagSize bytes; out receives len bytes when the tag verifies.
bool xchacha_open(const uint8_t key[kKeySize], const uint8_t nonce[kXNonceSize], const uint8_t* aad, size_t aad_len,
                  const uint8_t* in, size_t len, uint8_t* out);

}  // namespace wansteer::wg
