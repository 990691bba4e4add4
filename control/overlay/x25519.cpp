// libsodium's X25519 and base64 (the original variant, with padding, as wg(8) prints keys).
#include "control/overlay/x25519.hpp"

#include <sodium.h>

namespace wansteer::wg {

namespace {
bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}
}  // namespace

Key generate_private_key() {
  sodium_ready();
  Key k{};
  randombytes_buf(k.data(), k.size());
  k[0] &= 248;
  k[31] = static_cast<uint8_t>((k[31] & 127) | 64);
  return k;
}

Key public_key_of(const Key& private_key) {
  sodium_ready();
  Key pub{};
  crypto_scalarmult_curve25519_base(pub.data(), private_key.data());
  return pub;
}

bool x25519(const Key& private_key, const Key& public_key, Key* shared) {
  sodium_ready();
  return crypto_scalarmult_curve25519(shared->data(), private_key.data(), public_key.data()) == 0;
}

std::string key_to_base64(const Key& k) {
  char text[sodium_base64_ENCODED_LEN(kKeySize, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(text, sizeof text, k.data(), k.size(), sodium_base64_VARIANT_ORIGINAL);
  return text;
}

std::optional<Key> key_from_base64(std::string_view text) {
  sodium_ready();
  if (text.size() != 44) return std::nullopt;
  Key k{};
  size_t n = 0;
  if (sodium_base642bin(k.data(), k.size(), text.data(), text.size(), nullptr, &n, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      n != kKeySize)
    return std::nullopt;
  return k;
}

}  // namespace wansteer::wg
