// ChaCha20-Poly1305 (RFC 8439) through one OpenSSL EVP context made up front: a worker keeps one per core, so sealing
// and opening a packet reuse it and never allocate, lock or throw.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/overlay/wg_wire.hpp"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace wansteer::wg {

class ChaChaPoly {
 public:
  ChaChaPoly();  // allocates the context; valid() says whether libcrypto gave one
  ~ChaChaPoly();
  ChaChaPoly(const ChaChaPoly&) = delete;
  ChaChaPoly& operator=(const ChaChaPoly&) = delete;

  bool valid() const { return ctx_ != nullptr; }

  // Encrypts len bytes of in to out (may be the same buffer) and writes the 16-byte tag to tag.
  bool seal(const uint8_t key[kKeySize], const uint8_t nonce[12], const uint8_t* aad, size_t aad_len, const uint8_t* in,
            size_t len, uint8_t* out, uint8_t tag[kTagSize]);
  // Decrypts and authenticates; false (and out unspecified) when the tag does not verify.
  bool open(const uint8_t key[kKeySize], const uint8_t nonce[12], const uint8_t* aad, size_t aad_len, const uint8_t* in,
            size_t len, const uint8_t tag[kTagSize], uint8_t* out);

 private:
  EVP_CIPHER_CTX* ctx_ = nullptr;
};

}  // namespace wansteer::wg
