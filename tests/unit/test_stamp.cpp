// STAMP codec tests: exact RFC 8762 byte offsets, MBZ bytes zeroed, short packets refused, NTP timestamp conversion.
#include <catch2/catch.hpp>

#include <cstring>

#include "control/health/stamp.hpp"
#include "tests/unit/stamp_test_support.hpp"

using namespace wansteer;
using namespace wansteer::test;

TEST_CASE("sender packet: fields at RFC 8762 offsets in network byte order, the rest zero", "[stamp]") {
  stamp::SenderPacket p{0x01020304, 0x1112131415161718ull, 0x2122};
  uint8_t buf[stamp::kPacketSize];
  std::memset(buf, 0xff, sizeof buf);  // MBZ must be written, not left as found
  stamp::encode_sender(p, buf);
  CHECK(be32(buf + 0) == 0x01020304);
  CHECK(be64(buf + 4) == 0x1112131415161718ull);
  CHECK(be16(buf + 12) == 0x2122);
  for (size_t i = 14; i < stamp::kPacketSize; i++) CHECK(buf[i] == 0);

  stamp::SenderPacket d;
  REQUIRE(stamp::decode_sender(buf, sizeof buf, &d));
  CHECK(d.seq == p.seq);
  CHECK(d.timestamp == p.timestamp);
  CHECK(d.error_estimate == p.error_estimate);
  CHECK_FALSE(stamp::decode_sender(buf, stamp::kPacketSize - 1, &d));
}

TEST_CASE("reflector packet: every field at its RFC 8762 offset, MBZ zeroed, roundtrip", "[stamp]") {
  const stamp::ReflectorPacket p = sample_reflector_packet();
  uint8_t buf[stamp::kPacketSize];
  std::memset(buf, 0xff, sizeof buf);
  stamp::encode_reflector(p, buf);
  CHECK(be32(buf + 0) == 0xa1a2a3a4);
  CHECK(be64(buf + 4) == 0xb1b2b3b4b5b6b7b8ull);
  CHECK(be16(buf + 12) == 0xc1c2);
  CHECK(be64(buf + 16) == 0xd1d2d3d4d5d6d7d8ull);
  CHECK(be32(buf + 24) == 0xe1e2e3e4);
  CHECK(be64(buf + 28) == 0xf1f2f3f4f5f6f7f8ull);
  CHECK(be16(buf + 36) == 0x9192);
  CHECK(buf[40] == 0x7e);
  for (size_t i : {14, 15, 38, 39, 41, 42, 43}) CHECK(buf[i] == 0);  // MBZ

  stamp::ReflectorPacket d;
  REQUIRE(stamp::decode_reflector(buf, sizeof buf, &d));
  check_same_fields(d, p);
  CHECK_FALSE(stamp::decode_reflector(buf, 43, &d));
  CHECK(stamp::decode_reflector(buf, 60, &d));  // longer (padding, RFC 8972 TLVs) is fine
}

TEST_CASE("NTP timestamps: 1970 is 2208988800 s after 1900, the fraction is binary", "[stamp]") {
  CHECK(stamp::ntp_from_unix_ns(0) == 2208988800ull << 32);
  CHECK(stamp::unix_ns_from_ntp(2208988800ull << 32) == 0);
  // 1.5 s after the epoch: seconds + 1, fraction 0x80000000 (one half).
  CHECK(stamp::ntp_from_unix_ns(1'500'000'000ull) == ((2208988801ull << 32) | 0x80000000ull));
  CHECK(stamp::unix_ns_from_ntp((2208988801ull << 32) | 0x40000000ull) == 1'250'000'000ull);
  // 2024-01-01T00:00:00.123456789Z survives the round trip to the nanosecond.
  const uint64_t t = 1'704'067'200'123'456'789ull;
  CHECK(stamp::ntp_from_unix_ns(t) >> 32 == 1'704'067'200ull + 2208988800ull);
  CHECK(stamp::unix_ns_from_ntp(stamp::ntp_from_unix_ns(t)) == t);
  CHECK(stamp::unix_ns_from_ntp(0) == 0);  // before 1970 clamps instead of wrapping
}

TEST_CASE("default error estimate: not claiming sync, NTP format, about a millisecond, multiplier non-zero",
          "[stamp]") {
  uint16_t e = stamp::default_error_estimate();
  CHECK((e & stamp::kErrorS) == 0);
  CHECK((e & stamp::kErrorZ) == 0);
  CHECK((e & 0xff) != 0);  // RFC 4656: Multiplier MUST NOT be zero
  CHECK(stamp::error_estimate_seconds(e) == Approx(1.0 / 1024));
}
