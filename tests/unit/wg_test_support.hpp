// Hex helpers for the WireGuard overlay's unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace wansteer::test {

inline std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
  return out;
}

template <typename C>
std::string hex(const C& c) {
  std::string s;
  for (auto b : c) s += fmt::format("{:02x}", static_cast<unsigned>(b));
  return s;
}

template <typename K>
K key_from_hex(const std::string& s) {
  K k{};
  const auto v = unhex(s);
  std::copy(v.begin(), v.begin() + static_cast<long>(k.size()), k.begin());
  return k;
}

}  // namespace wansteer::test
