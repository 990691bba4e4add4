// BLAKE2s through OpenSSL 3's EVP interfaces (BLAKE2S-256 digest, HMAC and BLAKE2SMAC); nothing hand-written.
#include "control/overlay/blake2s.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <memory>

namespace wansteer::wg {

namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

}  // namespace

bool blake2s_hash(std::initializer_list<Bytes> parts, Key* out) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_blake2s256(), nullptr) != 1) return false;
  for (Bytes p : parts)
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return false;
  unsigned int n = 0;
  return EVP_DigestFinal_ex(ctx.get(), out->data(), &n) == 1 && n == kKeySize;
}

bool hmac_blake2s(Bytes key, Bytes data, Key* out) {
  static const uint8_t kEmpty = 0;  // OpenSSL wants non-null pointers even for empty inputs
  unsigned int n = 0;
  return HMAC(EVP_blake2s256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
              data.empty() ? &kEmpty : data.data(), data.size(), out->data(), &n) != nullptr &&
         n == kKeySize;
}

bool keyed_blake2s_128(Bytes key, Bytes data, Mac16* out) {
  std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "BLAKE2SMAC", nullptr));
  if (!mac || key.empty() || key.size() > kKeySize) return false;
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return false;
  size_t size = kMacSize;
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end()};
  size_t n = 0;
  return EVP_MAC_init(ctx.get(), key.data(), key.size(), params) == 1 &&
         EVP_MAC_update(ctx.get(), data.data(), data.size()) == 1 &&
         EVP_MAC_final(ctx.get(), out->data(), &n, out->size()) == 1 && n == kMacSize;
}

bool kdf(const Key& ck, Bytes input, Key* out1, Key* out2, Key* out3) {
  Key prk{};
  if (!hmac_blake2s(bytes_of(ck), input, &prk)) return false;
  uint8_t buf[kKeySize + 1];
  const uint8_t one = 1;
  bool ok = hmac_blake2s(bytes_of(prk), Bytes(&one, 1), out1);
  Key* prev = out1;
  Key* outs[] = {out2, out3};
  for (uint8_t i = 0; i < 2 && ok && outs[i] != nullptr; i++) {
    std::copy(prev->begin(), prev->end(), buf);
    buf[kKeySize] = static_cast<uint8_t>(i + 2);
    ok = hmac_blake2s(bytes_of(prk), Bytes(buf, sizeof buf), outs[i]);
    prev = outs[i];
  }
  OPENSSL_cleanse(prk.data(), prk.size());
  OPENSSL_cleanse(buf, sizeof buf);
  return ok;
}

}  // namespace wansteer::wg
