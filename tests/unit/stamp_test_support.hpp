// Shared by the STAMP tests (codec, authenticated mode, prober): big-endian readers to check offsets by hand, a
// reflector packet with a distinct value in every field, and a scratch directory for key files.
#pragma once
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "control/health/stamp.hpp"

namespace wansteer::test {

inline uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint64_t be64(const uint8_t* p) { return uint64_t(be32(p)) << 32 | be32(p + 4); }
inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// Every field a different, recognisable value, so a field written at another's offset shows.
inline stamp::ReflectorPacket sample_reflector_packet() {
  stamp::ReflectorPacket p;
  p.seq = 0xa1a2a3a4;
  p.timestamp = 0xb1b2b3b4b5b6b7b8ull;
  p.error_estimate = 0xc1c2;
  p.receive_timestamp = 0xd1d2d3d4d5d6d7d8ull;
  p.sender_seq = 0xe1e2e3e4;
  p.sender_timestamp = 0xf1f2f3f4f5f6f7f8ull;
  p.sender_error_estimate = 0x9192;
  p.sender_ttl = 0x7e;
  return p;
}

inline void check_same_fields(const stamp::ReflectorPacket& d, const stamp::ReflectorPacket& p) {
  CHECK(d.seq == p.seq);
  CHECK(d.timestamp == p.timestamp);
  CHECK(d.error_estimate == p.error_estimate);
  CHECK(d.receive_timestamp == p.receive_timestamp);
  CHECK(d.sender_seq == p.sender_seq);
  CHECK(d.sender_timestamp == p.sender_timestamp);
  CHECK(d.sender_error_estimate == p.sender_error_estimate);
  CHECK(d.sender_ttl == p.sender_ttl);
}

// A scratch directory for key files, removed with everything in it when the test ends.
struct KeyDir {
  std::filesystem::path dir;
  KeyDir() {
    static int n = 0;
    dir = std::filesystem::temp_directory_path() /
          ("wansteer-key-test-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    std::filesystem::create_directories(dir);
  }
  ~KeyDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  // Writes `text` to dir/name with `mode`; returns the path.
  std::string write(const std::string& text, mode_t mode = 0600, const std::string& name = "key") const {
    const std::filesystem::path p = dir / name;
    std::ofstream(p) << text;
    chmod(p.c_str(), mode);
    return p.string();
  }
};

}  // namespace wansteer::test
