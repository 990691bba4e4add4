// The policy's typed values read from YAML nodes, each reporting its own error at the node.
#include "control/policy/value_readers.hpp"

#include <fmt/format.h>

#include <string_view>
#include <utility>

#include "control/policy/value_parsers.hpp"

namespace wansteer::policy_reader {

namespace {

constexpr uint64_t kMinRate = 8000;          // 8 kbit/s: 1000 bytes per second
constexpr uint64_t kMaxRate = 400000000000;  // 400 Gbit/s

// Reads text and parses it with `parse(text, why)`; on failure reports "what why".
template <typename Parse>
auto read_parsed(Diagnostics& diag, const Item& it, const std::string& what, Parse parse)
    -> decltype(parse(std::string_view{}, std::declval<std::string&>())) {
  auto s = read_text(diag, it, what);
  if (!s) return std::nullopt;
  std::string why;
  auto v = parse(*s, why);
  if (!v) diag.error(it.mark, fmt::format("{} {}", what, why));
  return v;
}

}  // namespace

std::string label(const char* kind, const YAML::Node& n, size_t index) {
  if (n.IsMap() && n["name"] && n["name"].IsScalar() && valid_name(n["name"].Scalar()))
    return fmt::format("{} \"{}\"", kind, n["name"].Scalar());
  return fmt::format("{} {}", kind, index + 1);
}

std::optional<std::string> read_name(Diagnostics& diag, const Item& it, const std::string& what) {
  auto s = read_text(diag, it, what);
  if (!s) return std::nullopt;
  if (!valid_name(*s)) {
    diag.error(it.mark, fmt::format("{} \"{}\" is not a valid name: use 1 to {} characters from a-z, 0-9, _ and -",
                                    what, *s, kMaxNameLen));
    return std::nullopt;
  }
  return s;
}

std::optional<uint32_t> read_ip4(Diagnostics& diag, const Item& it, const std::string& what) {
  auto s = read_text(diag, it, what);
  if (!s) return std::nullopt;
  auto a = parse_ip4(*s);
  if (!a) diag.error(it.mark, fmt::format("{} \"{}\" is not an IPv4 address", what, *s));
  return a;
}

std::optional<MacAddress> read_mac(Diagnostics& diag, const Item& it, const std::string& what) {
  return read_parsed(diag, it, what, parse_host_mac);
}

std::optional<Ipv4Cidr> read_iface_address(Diagnostics& diag, const Item& it, const std::string& what) {
  return read_parsed(diag, it, what, parse_iface_address);
}

std::optional<PortRange> read_port_range(Diagnostics& diag, const Item& it, const std::string& what) {
  return read_parsed(diag, it, what, parse_port_range);
}

std::optional<uint8_t> read_dscp_value(Diagnostics& diag, const Item& it, const std::string& what) {
  auto malformed = [](const std::string& s) {
    return fmt::format("\"{}\" is not a DSCP value: write 0 to 63 or a name: EF, VA, AF11 to AF43, CS0 to CS7, BE", s);
  };
  auto v = read_bounded(diag, it, what, parse_dscp, uint64_t{0}, uint64_t{63}, malformed, "0 to 63 or a name like EF");
  return v ? std::optional<uint8_t>(static_cast<uint8_t>(*v)) : std::nullopt;
}

std::optional<uint64_t> read_rate(Diagnostics& diag, const Item& it, const std::string& what) {
  auto malformed = [](const std::string& s) {
    return fmt::format(
        "\"{}\" is not a rate: write a number of bits per second with k, m or g (kbit, Mbit, Mbps, any case), "
        "e.g. 5mbit, 1.5Mbit or 100Mbps; a plain number is bit/s, and byte rates (MB/s) are not accepted",
        s);
  };
  return read_bounded(diag, it, what, parse_rate, kMinRate, kMaxRate, malformed, "8kbit to 400gbit");
}

std::optional<uint64_t> read_size(Diagnostics& diag, const Item& it, const std::string& what, uint64_t lo,
                                  uint64_t hi) {
  auto malformed = [](const std::string& s) {
    return fmt::format(
        "\"{}\" is not a size: write a number of bytes, optionally with b, kb, mb, gb, tb (1000-based) or "
        "kib, mib, gib, tib (any case), e.g. 64kb or 20GB",
        s);
  };
  return read_bounded(diag, it, what, parse_size, lo, hi, malformed, fmt::format("{} to {} bytes", lo, hi));
}

}  // namespace wansteer::policy_reader
