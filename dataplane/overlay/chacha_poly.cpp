// ChaCha20-Poly1305 on a reused EVP context: the cipher is fetched once in the constructor; each call only re-keys
// (EVP_CipherInit_ex with a null cipher keeps the provider's context), so no call allocates.
#include "dataplane/overlay/chacha_poly.hpp"

#include <openssl/evp.h>

#include <climits>

namespace wansteer::wg {

ChaChaPoly::ChaChaPoly() {
  ctx_ = EVP_CIPHER_CTX_new();
  if (ctx_ == nullptr) return;
  if (EVP_CipherInit_ex(ctx_, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr, 1) != 1) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = nullptr;
  }
}

ChaChaPoly::~ChaChaPoly() { EVP_CIPHER_CTX_free(ctx_); }

bool ChaChaPoly::seal(const uint8_t key[kKeySize], const uint8_t nonce[12], const uint8_t* aad, size_t aad_len,
                      const uint8_t* in, size_t len, uint8_t* out, uint8_t tag[kTagSize]) {
  if (ctx_ == nullptr || len > INT_MAX || aad_len > INT_MAX) return false;
  int n = 0;
  if (EVP_CipherInit_ex(ctx_, nullptr, nullptr, key, nonce, 1) != 1) return false;
  if (aad_len > 0 && EVP_CipherUpdate(ctx_, nullptr, &n, aad, static_cast<int>(aad_len)) != 1) return false;
  if (len > 0 && EVP_CipherUpdate(ctx_, out, &n, in, static_cast<int>(len)) != 1) return false;
  if (EVP_CipherFinal_ex(ctx_, out + len, &n) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize), tag) == 1;
}

bool ChaChaPoly::open(const uint8_t key[kKeySize], const uint8_t nonce[12], const uint8_t* aad, size_t aad_len,
                      const uint8_t* in, size_t len, const uint8_t tag[kTagSize], uint8_t* out) {
  if (ctx_ == nullptr || len > INT_MAX || aad_len > INT_MAX) return false;
  int n = 0;
  if (EVP_CipherInit_ex(ctx_, nullptr, nullptr, key, nonce, 0) != 1) return false;
  // OpenSSL takes the expected tag as non-const; it only copies it.
  if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize), const_cast<uint8_t*>(tag)) != 1)
    return false;
  if (aad_len > 0 && EVP_CipherUpdate(ctx_, nullptr, &n, aad, static_cast<int>(aad_len)) != 1) return false;
  if (len > 0 && EVP_CipherUpdate(ctx_, out, &n, in, static_cast<int>(len)) != 1) return false;
  return EVP_CipherFinal_ex(ctx_, out + len, &n) == 1;
}

}  // namespace wansteer::wg
