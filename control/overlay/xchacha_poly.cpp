// libsodium's crypto_aead_xchacha20poly1305_ietf (OpenSSL 3 has no XChaCha20).
#include "control/overlay/xchacha_poly.hpp"

#include <sodium.h>

namespace wansteer::wg {

bool xchacha_seal(const uint8_t key[kKeySize], const uint8_t nonce[kXNonceSize], const uint8_t* aad, size_t aad_len,
                  const uint8_t* in, size_t len, uint8_t* out) {
  if (sodium_init() < 0) return false;
  unsigned long long n = 0;
  return crypto_aead_xchacha20poly1305_ietf_encrypt(out, &n, in, len, aad, aad_len, nullptr, nonce, key) == 0;
}

bool xchacha_open(const uint8_t key[kKeySize], const uint8_t nonce[kXNonceSize], const uint8_t* aad, size_t aad_len,
                  const uint8_t* in, size_t len, uint8_t* out) {
  if (sodium_init() < 0) return false;
  unsigned long long n = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out, &n, nullptr, in, len + kTagSize, aad, aad_len, nonce, key) ==
         0;
}

}  // namespace wansteer::wg
