// WireGuard's hash family, all BLAKE2s from OpenSSL 3: HASH (BLAKE2s-256), HMAC-BLAKE2s, MAC (keyed BLAKE2s-128,
// for mac1, mac2 and cookies) and the HKDF it builds from HMAC (KDF1..3). Control thread only: handshakes and cookies.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

#include "dataplane/overlay/keypair.hpp"

namespace wansteer::wg {

using Bytes = std::span<const uint8_t>;
using Mac16 = std::array<uint8_t, kMacSize>;

// HASH(a || b || ...). False only when libcrypto fails.
bool blake2s_hash(std::initializer_list<Bytes> parts, Key* out);
// HMAC-BLAKE2s(key, data).
bool hmac_blake2s(Bytes key, Bytes data, Key* out);
// MAC(key, data): BLAKE2s keyed with key (1..32 bytes), 16-byte output.
bool keyed_blake2s_128(Bytes key, Bytes data, Mac16* out);
// KDF_n(ck, input): n = how many of out1..out3 are non-null (out1 always).
bool kdf(const Key& ck, Bytes input, Key* out1, Key* out2 = nullptr, Key* out3 = nullptr);

inline Bytes bytes_of(const Key& k) { return Bytes(k.data(), k.size()); }
// A label's characters as bytes ("mac1----", the Noise construction name).
inline Bytes bytes_of(std::string_view s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

}  // namespace wansteer::wg
