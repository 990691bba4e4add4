// The WireGuard overlay's primitives through our wrappers, against published vectors: X25519 (RFC 7748 5.2, 6.1),
// ChaCha20-Poly1305 (RFC 8439 2.8.2), BLAKE2s-256 (RFC 7693 appendix B), XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha
// A.3.1); HMAC-BLAKE2s, keyed BLAKE2s-128 and the KDF against CPython's hashlib (the BLAKE2 reference code).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "control/overlay/blake2s.hpp"
#include "control/overlay/x25519.hpp"
#include "control/overlay/xchacha_poly.hpp"
#include "dataplane/overlay/chacha_poly.hpp"
#include "tests/unit/wg_test_support.hpp"

using namespace wansteer;
using namespace wansteer::test;
using wg::Key;

namespace {

const std::string kSunscreen =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be "
    "it.";
const std::string kAeadKey = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
const std::string kAad = "50515253c0c1c2c3c4c5c6c7";

}  // namespace

TEST_CASE("x25519: RFC 7748 section 5.2 and the section 6.1 Diffie-Hellman", "[overlay_crypto]") {
  Key out{};
  REQUIRE(wg::x25519(key_from_hex<Key>("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                     key_from_hex<Key>("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"), &out));
  CHECK(hex(out) == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");

  const Key alice = key_from_hex<Key>("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const Key bob = key_from_hex<Key>("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  CHECK(hex(wg::public_key_of(alice)) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  CHECK(hex(wg::public_key_of(bob)) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  Key ab{}, ba{};
  REQUIRE(wg::x25519(alice, wg::public_key_of(bob), &ab));
  REQUIRE(wg::x25519(bob, wg::public_key_of(alice), &ba));
  CHECK(hex(ab) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  CHECK(ab == ba);
  // A low-order point (zero) gives an all-zero secret: refused, as WireGuard refuses it.
  CHECK_FALSE(wg::x25519(alice, Key{}, &out));
}

TEST_CASE("x25519: keys in wg(8)'s base64 form", "[overlay_crypto]") {
  const Key priv = wg::generate_private_key();
  CHECK((priv[0] & 7) == 0);
  CHECK((priv[31] & 0xc0) == 0x40);
  const std::string text = wg::key_to_base64(priv);
  CHECK(text.size() == 44);
  CHECK(wg::key_from_base64(text) == priv);
  CHECK_FALSE(wg::key_from_base64(text.substr(1)));
  CHECK_FALSE(wg::key_from_base64(std::string(44, '!')));
}

TEST_CASE("chacha20-poly1305: RFC 8439 section 2.8.2 on a reused context", "[overlay_crypto]") {
  wg::ChaChaPoly aead;
  REQUIRE(aead.valid());
  const auto key = unhex(kAeadKey);
  const auto nonce = unhex("070000004041424344454647");
  const auto aad = unhex(kAad);
  std::vector<uint8_t> plain(kSunscreen.begin(), kSunscreen.end()), sealed(plain.size()), opened(plain.size());
  uint8_t tag[16];
  for (int round = 0; round < 2; round++) {  // the second round proves the context re-keys cleanly
    REQUIRE(
        aead.seal(key.data(), nonce.data(), aad.data(), aad.size(), plain.data(), plain.size(), sealed.data(), tag));
    CHECK(hex(sealed) ==
          "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e"
          "060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576"
          "d26586cec64b6116");
    CHECK(hex(std::vector<uint8_t>(tag, tag + 16)) == "1ae10b594f09e26a7e902ecbd0600691");
    REQUIRE(
        aead.open(key.data(), nonce.data(), aad.data(), aad.size(), sealed.data(), sealed.size(), tag, opened.data()));
    CHECK(opened == plain);
  }
  sealed[5] ^= 1;
  CHECK_FALSE(
      aead.open(key.data(), nonce.data(), aad.data(), aad.size(), sealed.data(), sealed.size(), tag, opened.data()));
  sealed[5] ^= 1;
  CHECK_FALSE(aead.open(key.data(), nonce.data(), aad.data(), aad.size() - 1, sealed.data(), sealed.size(), tag,
                        opened.data()));
  CHECK(aead.open(key.data(), nonce.data(), aad.data(), aad.size(), sealed.data(), sealed.size(), tag, opened.data()));
}

TEST_CASE("blake2s-256: RFC 7693 appendix B, and the hash of parts equals the hash of the whole", "[overlay_crypto]") {
  Key h{}, parts{};
  const uint8_t abc[] = {'a', 'b', 'c'};
  REQUIRE(wg::blake2s_hash({wg::Bytes(abc, 3)}, &h));
  CHECK(hex(h) == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  REQUIRE(wg::blake2s_hash({wg::Bytes(abc, 1), wg::Bytes(), wg::Bytes(abc + 1, 2)}, &parts));
  CHECK(parts == h);
}

TEST_CASE("hmac-blake2s, keyed blake2s-128 and KDF1..3 match the reference implementation", "[overlay_crypto]") {
  Key k{};
  for (uint8_t i = 0; i < 32; i++) k[i] = i;
  const std::string d = "WireGuard";
  const wg::Bytes data(reinterpret_cast<const uint8_t*>(d.data()), d.size());
  Key mac{};
  REQUIRE(wg::hmac_blake2s(wg::bytes_of(k), data, &mac));
  CHECK(hex(mac) == "5415924543576b3f5ee867c94e1aab70586d33b32fae3fccd2c635b3e1d7198d");
  wg::Mac16 m16{};
  REQUIRE(wg::keyed_blake2s_128(wg::bytes_of(k), data, &m16));
  CHECK(hex(m16) == "c44bc1a201f2ff374d10eda15244ad8a");
  REQUIRE(wg::keyed_blake2s_128(wg::Bytes(k.data(), 16), wg::Bytes(), &m16));  // a 16-byte key, as cookies are
  CHECK(hex(m16) == "af4e5d3bb230e9ff9096ca6f7c501f76");
  Key t1{}, t2{}, t3{};
  REQUIRE(wg::kdf(k, data, &t1, &t2, &t3));
  CHECK(hex(t1) == "7e615ce2573f4139b960d562ec463daf7164bd86a0a64c0adc374ff2655769f3");
  CHECK(hex(t2) == "42dbbd4438e101cd2c2ea8d05ed6716bf87489aea47ece2f06358835670130bf");
  CHECK(hex(t3) == "5c58c1d9808a5bfdf8f38f6487248985c04f4b6d0fe427516935a0f6903b0157");
  Key only{};
  REQUIRE(wg::kdf(k, data, &only));
  CHECK(only == t1);
}

TEST_CASE("xchacha20-poly1305: draft-irtf-cfrg-xchacha-03 A.3.1", "[overlay_crypto]") {
  const auto key = unhex(kAeadKey);
  const auto nonce = unhex("404142434445464748494a4b4c4d4e4f5051525354555657");
  const auto aad = unhex(kAad);
  std::vector<uint8_t> plain(kSunscreen.begin(), kSunscreen.end()), sealed(plain.size() + 16), opened(plain.size());
  REQUIRE(
      wg::xchacha_seal(key.data(), nonce.data(), aad.data(), aad.size(), plain.data(), plain.size(), sealed.data()));
  CHECK(hex(sealed) ==
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c"
        "54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da97688"
        "12f615c68b13b52ec0875924c1c7987947deafd8780acf49");
  REQUIRE(
      wg::xchacha_open(key.data(), nonce.data(), aad.data(), aad.size(), sealed.data(), plain.size(), opened.data()));
  CHECK(opened == plain);
  sealed.back() ^= 0x80;
  CHECK_FALSE(
      wg::xchacha_open(key.data(), nonce.data(), aad.data(), aad.size(), sealed.data(), plain.size(), opened.data()));
}
