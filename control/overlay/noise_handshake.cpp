// Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard runs it: the chaining key and hash evolve step by step exactly as
// the whitepaper's listing, and the handshake's AEADs all use nonce 0 with the running hash as associated data.
#include "control/overlay/noise_handshake.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <string_view>

#include "control/overlay/blake2s.hpp"
#include "control/overlay/x25519.hpp"
#include "dataplane/overlay/chacha_poly.hpp"

namespace wansteer::wg {

namespace {

constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";

// The initial chaining key and hash, mixed with the responder's static key.
bool initial_state(const Key& responder_static, Key* ck, Key* h) {
  return blake2s_hash({bytes_of(kConstruction)}, ck) && blake2s_hash({bytes_of(*ck), bytes_of(kIdentifier)}, h) &&
         blake2s_hash({bytes_of(*h), bytes_of(responder_static)}, h);
}

bool mix_hash(Key* h, Bytes data) { return blake2s_hash({bytes_of(*h), data}, h); }

bool mix_dh(Key* ck, Key* k, const Key& priv, const Key& pub) {
  Key shared{};
  const bool ok = x25519(priv, pub, &shared) && kdf(*ck, bytes_of(shared), ck, k);
  OPENSSL_cleanse(shared.data(), shared.size());
  return ok;
}

// AEAD(k, 0, plain, h) into out (len + tag bytes), then h = HASH(h || out).
bool seal_and_hash(const Key& k, Key* h, const uint8_t* plain, size_t len, uint8_t* out) {
  ChaChaPoly aead;
  uint8_t nonce[12];
  counter_nonce(0, nonce);
  return aead.seal(k.data(), nonce, h->data(), h->size(), plain, len, out, out + len) &&
         mix_hash(h, Bytes(out, len + kTagSize));
}

bool open_and_hash(const Key& k, Key* h, const uint8_t* sealed, size_t len, uint8_t* plain) {
  ChaChaPoly aead;
  uint8_t nonce[12];
  counter_nonce(0, nonce);
  return aead.open(k.data(), nonce, h->data(), h->size(), sealed, len, sealed + len, plain) &&
         mix_hash(h, Bytes(sealed, len + kTagSize));
}

Key key_at(const uint8_t* p) {
  Key k{};
  std::memcpy(k.data(), p, k.size());
  return k;
}

}  // namespace

Tai64n tai64n(uint64_t unix_ns) {
  Tai64n t{};
  const uint64_t secs = (uint64_t{1} << 62) + unix_ns / 1000000000u;
  const uint32_t nanos = static_cast<uint32_t>(unix_ns % 1000000000u);
  for (int i = 0; i < 8; i++) t[i] = static_cast<uint8_t>(secs >> (56 - 8 * i));
  for (int i = 0; i < 4; i++) t[8 + i] = static_cast<uint8_t>(nanos >> (24 - 8 * i));
  return t;
}

bool create_initiation(const Identity& local, const Key& peer_public, uint32_t sender_index, const Tai64n& now,
                       uint8_t msg[kInitiationSize], InitiatorState* st) {
  std::memset(msg, 0, kInitiationSize);
  put_header(msg, MessageType::initiation);
  put_le32(msg + initiation::kSender, sender_index);
  st->sender_index = sender_index;
  st->peer_public = peer_public;
  st->ephemeral_private = generate_private_key();
  const Key eph_pub = public_key_of(st->ephemeral_private);
  std::memcpy(msg + initiation::kEphemeral, eph_pub.data(), kKeySize);
  Key k{};
  const bool ok = initial_state(peer_public, &st->chaining_key, &st->hash) &&
                  kdf(st->chaining_key, bytes_of(eph_pub), &st->chaining_key) &&
                  mix_hash(&st->hash, bytes_of(eph_pub)) &&
                  mix_dh(&st->chaining_key, &k, st->ephemeral_private, peer_public) &&
                  seal_and_hash(k, &st->hash, local.public_key.data(), kKeySize, msg + initiation::kStatic) &&
                  mix_dh(&st->chaining_key, &k, local.private_key, peer_public) &&
                  seal_and_hash(k, &st->hash, now.data(), now.size(), msg + initiation::kTimestamp);
  OPENSSL_cleanse(k.data(), k.size());
  return ok;
}

std::optional<InitiationSeen> consume_initiation(const Identity& local, const uint8_t* msg, size_t len) {
  if (!has_header(msg, len, MessageType::initiation, kInitiationSize) || len != kInitiationSize) return std::nullopt;
  InitiationSeen s;
  s.remote_index = get_le32(msg + initiation::kSender);
  s.remote_ephemeral = key_at(msg + initiation::kEphemeral);
  Key k{};
  bool ok = initial_state(local.public_key, &s.chaining_key, &s.hash) &&
            kdf(s.chaining_key, bytes_of(s.remote_ephemeral), &s.chaining_key) &&
            mix_hash(&s.hash, bytes_of(s.remote_ephemeral)) &&
            mix_dh(&s.chaining_key, &k, local.private_key, s.remote_ephemeral) &&
            open_and_hash(k, &s.hash, msg + initiation::kStatic, kKeySize, s.remote_static.data()) &&
            mix_dh(&s.chaining_key, &k, local.private_key, s.remote_static) &&
            open_and_hash(k, &s.hash, msg + initiation::kTimestamp, kTimestampSize, s.timestamp.data());
  OPENSSL_cleanse(k.data(), k.size());
  if (!ok) return std::nullopt;
  return s;
}

bool create_response(const InitiationSeen& seen, const Key& psk, uint32_t sender_index, uint8_t msg[kResponseSize],
                     SessionKeys* keys) {
  std::memset(msg, 0, kResponseSize);
  put_header(msg, MessageType::response);
  put_le32(msg + response::kSender, sender_index);
  put_le32(msg + response::kReceiver, seen.remote_index);
  Key ck = seen.chaining_key, h = seen.hash, t{}, k{}, unused{};
  Key eph_priv = generate_private_key();
  const Key eph_pub = public_key_of(eph_priv);
  std::memcpy(msg + response::kEphemeral, eph_pub.data(), kKeySize);
  const bool ok = kdf(ck, bytes_of(eph_pub), &ck) && mix_hash(&h, bytes_of(eph_pub)) &&
                  mix_dh(&ck, &unused, eph_priv, seen.remote_ephemeral) &&
                  mix_dh(&ck, &unused, eph_priv, seen.remote_static) && kdf(ck, bytes_of(psk), &ck, &t, &k) &&
                  mix_hash(&h, bytes_of(t)) && seal_and_hash(k, &h, nullptr, 0, msg + response::kEmpty) &&
                  kdf(ck, Bytes(), &keys->recv_key, &keys->send_key);
  keys->local_index = sender_index;
  keys->remote_index = seen.remote_index;
  keys->we_initiated = false;
  for (Key* secret : {&ck, &t, &k, &unused, &eph_priv}) OPENSSL_cleanse(secret->data(), secret->size());
  return ok;
}

std::optional<SessionKeys> consume_response(const Identity& local, const InitiatorState& st, const Key& psk,
                                            const uint8_t* msg, size_t len) {
  if (!has_header(msg, len, MessageType::response, kResponseSize) || len != kResponseSize) return std::nullopt;
  if (get_le32(msg + response::kReceiver) != st.sender_index) return std::nullopt;
  SessionKeys keys;
  keys.local_index = st.sender_index;
  keys.remote_index = get_le32(msg + response::kSender);
  keys.we_initiated = true;
  const Key eph_pub = key_at(msg + response::kEphemeral);
  Key ck = st.chaining_key, h = st.hash, t{}, k{}, unused{};
  uint8_t nothing[1];
  const bool ok = kdf(ck, bytes_of(eph_pub), &ck) && mix_hash(&h, bytes_of(eph_pub)) &&
                  mix_dh(&ck, &unused, st.ephemeral_private, eph_pub) &&
                  mix_dh(&ck, &unused, local.private_key, eph_pub) && kdf(ck, bytes_of(psk), &ck, &t, &k) &&
                  mix_hash(&h, bytes_of(t)) && open_and_hash(k, &h, msg + response::kEmpty, 0, nothing) &&
                  kdf(ck, Bytes(), &keys.send_key, &keys.recv_key);
  for (Key* secret : {&ck, &t, &k, &unused}) OPENSSL_cleanse(secret->data(), secret->size());
  if (!ok) return std::nullopt;
  return keys;
}

}  // namespace wansteer::wg
