// STAMP authenticated mode (RFC 8762): HMAC-SHA-256 against RFC 4231 vectors through our wrapper, both 112-byte
// layouts at their exact offsets, any flipped bit or wrong length refused, and the key file's checks.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "control/health/stamp_auth.hpp"
#include "control/health/stamp_key_file.hpp"
#include "tests/unit/stamp_test_support.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) s += fmt::format("{:02x}", p[i]);
  return s;
}

const stamp::Key kKey = bytes("0123456789abcdef0123456789abcdef");

}  // namespace

TEST_CASE("hmac_sha256: RFC 4231 test cases 1, 2 and 6 through our wrapper", "[stamp_auth]") {
  // Test case 1: key = 20 x 0x0b, data = "Hi There".
  auto m1 = stamp::hmac_sha256(std::vector<uint8_t>(20, 0x0b), bytes("Hi There"));
  REQUIRE(m1);
  CHECK(hex(m1->data(), m1->size()) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the block, "Jefe".
  auto m2 = stamp::hmac_sha256(bytes("Jefe"), bytes("what do ya want for nothing?"));
  REQUIRE(m2);
  CHECK(hex(m2->data(), m2->size()) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block (131 x 0xaa), hashed first.
  auto m6 = stamp::hmac_sha256(std::vector<uint8_t>(131, 0xaa),
                               bytes("Test Using Larger Than Block-Size Key - Hash Key First"));
  REQUIRE(m6);
  CHECK(hex(m6->data(), m6->size()) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("authenticated sender packet: RFC 8762 4.2.2 offsets, MBZ zero, HMAC over the first 96 octets",
          "[stamp_auth]") {
  uint8_t buf[stamp::kAuthPacketSize];
  std::memset(buf, 0xff, sizeof buf);  // MBZ must be written, not left as found
  stamp::encode_sender_auth(stamp::SenderPacket{0x01020304, 0x1112131415161718ull, 0x2122}, kKey, buf);
  CHECK(be32(buf + 0) == 0x01020304);
  for (size_t i = 4; i < 16; i++) CHECK(buf[i] == 0);
  CHECK(be64(buf + 16) == 0x1112131415161718ull);
  CHECK(be16(buf + 24) == 0x2122);
  for (size_t i = 26; i < 96; i++) CHECK(buf[i] == 0);
  auto mac = stamp::hmac_sha256(kKey, std::span<const uint8_t>(buf, 96));
  REQUIRE(mac);
  CHECK(std::memcmp(buf + 96, mac->data(), stamp::kHmacSize) == 0);

  stamp::SenderPacket d;
  REQUIRE(stamp::decode_sender_auth(buf, sizeof buf, kKey, &d) == stamp::AuthCheck::ok);
  CHECK(d.seq == 0x01020304);
  CHECK(d.timestamp == 0x1112131415161718ull);
  CHECK(d.error_estimate == 0x2122);
}

TEST_CASE("authenticated reflector packet: RFC 8762 4.3.2 offsets, MBZ zero, round trip", "[stamp_auth]") {
  const stamp::ReflectorPacket p = sample_reflector_packet();
  uint8_t buf[stamp::kAuthPacketSize];
  std::memset(buf, 0xff, sizeof buf);
  stamp::encode_reflector_auth(p, kKey, buf);
  CHECK(be32(buf + 0) == p.seq);
  CHECK(be64(buf + 16) == p.timestamp);
  CHECK(be16(buf + 24) == p.error_estimate);
  CHECK(be64(buf + 32) == p.receive_timestamp);
  CHECK(be32(buf + 48) == p.sender_seq);
  CHECK(be64(buf + 64) == p.sender_timestamp);
  CHECK(be16(buf + 72) == p.sender_error_estimate);
  CHECK(buf[80] == p.sender_ttl);
  for (auto [from, to] : {std::pair{4, 16}, {26, 32}, {40, 48}, {52, 64}, {74, 80}, {81, 96}})
    for (int i = from; i < to; i++) CHECK(buf[i] == 0);
  auto mac = stamp::hmac_sha256(kKey, std::span<const uint8_t>(buf, 96));
  REQUIRE(mac);
  CHECK(std::memcmp(buf + 96, mac->data(), stamp::kHmacSize) == 0);

  stamp::ReflectorPacket d;
  REQUIRE(stamp::decode_reflector_auth(buf, sizeof buf, kKey, &d) == stamp::AuthCheck::ok);
  check_same_fields(d, p);
}

TEST_CASE("authenticated packets: a flipped bit anywhere, or another key, fails verification", "[stamp_auth]") {
  uint8_t sender[stamp::kAuthPacketSize], reflector[stamp::kAuthPacketSize];
  stamp::encode_sender_auth(stamp::SenderPacket{7, 0x1234, 0x0101}, kKey, sender);
  stamp::encode_reflector_auth(sample_reflector_packet(), kKey, reflector);
  size_t refused = 0;
  for (size_t bit = 0; bit < stamp::kAuthPacketSize * 8; bit++) {
    uint8_t s[stamp::kAuthPacketSize], r[stamp::kAuthPacketSize];
    std::memcpy(s, sender, sizeof s);
    std::memcpy(r, reflector, sizeof r);
    s[bit / 8] ^= uint8_t(1u << (bit % 8));
    r[bit / 8] ^= uint8_t(1u << (bit % 8));
    stamp::SenderPacket sp{99, 99, 99};
    stamp::ReflectorPacket rp;
    rp.seq = 99;
    const bool s_bad = stamp::decode_sender_auth(s, sizeof s, kKey, &sp) == stamp::AuthCheck::bad_hmac;
    const bool r_bad = stamp::decode_reflector_auth(r, sizeof r, kKey, &rp) == stamp::AuthCheck::bad_hmac;
    refused += s_bad && r_bad && sp.seq == 99 && rp.seq == 99;  // nothing unverified written out
  }
  CHECK(refused == stamp::kAuthPacketSize * 8);

  stamp::Key other = kKey;
  other.back() ^= 1;
  stamp::SenderPacket sp;
  stamp::ReflectorPacket rp;
  CHECK(stamp::decode_sender_auth(sender, sizeof sender, other, &sp) == stamp::AuthCheck::bad_hmac);
  CHECK(stamp::decode_reflector_auth(reflector, sizeof reflector, other, &rp) == stamp::AuthCheck::bad_hmac);
}

TEST_CASE("authenticated packets: any length but 112 is refused, also the unauthenticated 44", "[stamp_auth]") {
  uint8_t buf[stamp::kAuthPacketSize + 8] = {};
  stamp::encode_sender_auth(stamp::SenderPacket{1, 2, 3}, kKey, buf);
  stamp::SenderPacket sp;
  stamp::ReflectorPacket rp;
  for (size_t len : {size_t{0}, stamp::kPacketSize, stamp::kAuthPacketSize - 1, stamp::kAuthPacketSize + 1,
                     stamp::kAuthPacketSize + 8}) {
    INFO(len);
    CHECK(stamp::decode_sender_auth(buf, len, kKey, &sp) == stamp::AuthCheck::bad_length);
    CHECK(stamp::decode_reflector_auth(buf, len, kKey, &rp) == stamp::AuthCheck::bad_length);
  }
  CHECK(stamp::decode_sender_auth(buf, stamp::kAuthPacketSize, kKey, &sp) == stamp::AuthCheck::ok);
}

TEST_CASE("key file: hex with whitespace, at least 16 bytes, private, regular", "[stamp_auth]") {
  KeyDir d;
  std::string why;
  auto key = stamp::read_key_file(d.write("00112233445566778899aabbccddeeff\n  0A0b \n"), &why);
  REQUIRE(key);
  CHECK(key->size() == 18);
  CHECK((*key)[0] == 0x00);
  CHECK((*key)[15] == 0xff);
  CHECK((*key)[16] == 0x0a);
  CHECK((*key)[17] == 0x0b);

  auto refused = [&](const std::string& path, const std::string& part) {
    std::string w;
    CHECK_FALSE(stamp::read_key_file(path, &w));
    INFO(w);
    CHECK(w.find(part) != std::string::npos);
    CHECK(w.find(path) != std::string::npos);  // every message names the file
  };
  refused(d.write("00112233445566778899aabbccddee\n"), "15 bytes, at least 16");
  refused(d.write("00112233445566778899aabbccddeeff", 0644), "every user");
  refused(d.write("00112233445566778899aabbccddeeff", 0602), "every user");
  refused(d.write("secret passphrase that is long enough"), "hex digits");
  refused(d.write("00112233445566778899aabbccddeeff0"), "odd number");
  refused(d.write(std::string(5000, '0')), "more than a key file holds");
  refused((d.dir / "missing").string(), "No such file");
  refused(d.dir.string(), "not a regular file");
  CHECK(stamp::read_key_file(d.write("00112233445566778899aabbccddeeff", 0640), &why));  // group may read
}
