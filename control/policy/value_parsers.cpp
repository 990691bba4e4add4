// The policy's value syntaxes as pure functions of text: numbers, rates, sizes, addresses, prefixes, MACs, names,
// ports and protocols.
#include "control/policy/value_parsers.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include "control/common/addr_format.hpp"
#include "control/policy/ipv4_subnets.hpp"

namespace wansteer::policy_reader {

namespace {

using UnitTable = std::vector<std::pair<std::string_view, uint64_t>>;

// A decimal number with a unit from `units`. Decimal point allowed, but the result must be a whole number of the
// base unit; unit names are exact ("mbps" or "MB/s" are not accepted) so that bits and bytes cannot be confused.
std::optional<uint64_t> parse_scaled(std::string_view s, const UnitTable& units) {
  size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  std::string_view num = s.substr(0, i), unit = s.substr(i);
  uint64_t mult = 0;
  for (const auto& [name, m] : units)
    if (unit == name) mult = m;
  if (mult == 0 || num.empty()) return std::nullopt;
  auto dot = num.find('.');
  uint64_t whole = 0, frac = 0, scale = 1;
  if (!parse_decimal(num.substr(0, dot), whole)) return std::nullopt;
  if (dot != std::string_view::npos) {
    std::string_view f = num.substr(dot + 1);
    if (f.empty() || f.size() > 6 || !parse_decimal(f, frac)) return std::nullopt;
    for (size_t k = 0; k < f.size(); ++k) scale *= 10;
  }
  if (whole > (uint64_t{1} << 40) || whole > UINT64_MAX / mult - 1) return std::nullopt;
  if ((frac * mult) % scale != 0) return std::nullopt;  // "1.5bit": not a whole unit
  return whole * mult + frac * mult / scale;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parse_decimal(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 12) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

std::optional<double> parse_number(std::string_view s) {
  std::string v(trim(s));
  char* end = nullptr;
  errno = 0;
  double d = v.empty() ? 0 : std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || errno != 0 || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<uint64_t> parse_rate(std::string_view s) {
  // tc's and ISPs' spellings, in any case: 2Mbit, 2M, 100Mbps, 500kbit/s. All mean bits: a capital B before "ps"
  // or "/s" (MBps, MB/s) is how bytes are written, so that is refused rather than read as bits.
  static const UnitTable kUnits{
      {"", 1},           {"bit", 1},           {"bps", 1},           {"bit/s", 1},           {"b/s", 1},
      {"k", 1000},       {"kbit", 1000},       {"kbps", 1000},       {"kbit/s", 1000},       {"kb/s", 1000},
      {"m", 1000000},    {"mbit", 1000000},    {"mbps", 1000000},    {"mbit/s", 1000000},    {"mb/s", 1000000},
      {"g", 1000000000}, {"gbit", 1000000000}, {"gbps", 1000000000}, {"gbit/s", 1000000000}, {"gb/s", 1000000000}};
  if (s.find("Bps") != std::string_view::npos || s.find("B/s") != std::string_view::npos) return std::nullopt;
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (const size_t sp = lower.find(' ');
      sp != std::string::npos && sp > 0 && lower.find(' ', sp + 1) == std::string::npos)
    lower.erase(sp, 1);  // "100 Mbps", as plans are written
  return parse_scaled(lower, kUnits);
}

std::optional<uint64_t> parse_dscp(std::string_view s) {
  uint64_t v = 0;
  if (parse_decimal(s, v)) return v;
  std::string n(s);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "ef") return 46;
  if (n == "va") return 44;
  if (n == "be" || n == "default") return 0;
  if (n.size() == 3 && n.rfind("cs", 0) == 0 && n[2] >= '0' && n[2] <= '7') return uint64_t(n[2] - '0') * 8;
  if (n.size() == 4 && n.rfind("af", 0) == 0 && n[2] >= '1' && n[2] <= '4' && n[3] >= '1' && n[3] <= '3')
    return uint64_t(n[2] - '0') * 8 + uint64_t(n[3] - '0') * 2;
  return std::nullopt;
}

std::optional<uint64_t> parse_size(std::string_view s) {
  static const UnitTable kUnits{{"", 1},
                                {"b", 1},
                                {"kb", 1000},
                                {"mb", 1000000},
                                {"gb", 1000000000},
                                {"tb", 1000000000000},
                                {"kib", 1024},
                                {"mib", 1048576},
                                {"gib", uint64_t{1} << 30},
                                {"tib", uint64_t{1} << 40}};
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return parse_scaled(lower, kUnits);
}

std::optional<uint32_t> parse_ip4(std::string_view s) {
  std::string tmp(s);
  in_addr a{};
  if (inet_pton(AF_INET, tmp.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::optional<std::array<uint8_t, 16>> parse_ip6(std::string_view s) {
  std::string tmp(s);
  std::array<uint8_t, 16> a{};
  if (inet_pton(AF_INET6, tmp.c_str(), a.data()) != 1) return std::nullopt;
  return a;
}

// Host bits set below the length are an error rather than silently masked: "10.1.2.3/16" is far more often a typo
// in the length than an intended 10.1.0.0/16.
std::optional<AnyPrefix> parse_prefix(std::string_view text, std::string& why) {
  std::string_view addr = text, len_text;
  bool has_len = false;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    len_text = text.substr(slash + 1);
    has_len = true;
  }
  bool v6 = addr.find(':') != std::string_view::npos;
  unsigned max_len = v6 ? 128 : 32;
  uint64_t len = max_len;
  if (has_len && (!parse_decimal(len_text, len) || len > max_len)) {
    why = fmt::format("\"{}\" has an invalid prefix length (must be 0..{})", text, max_len);
    return std::nullopt;
  }
  AnyPrefix p;
  p.v6 = v6;
  if (!v6) {
    auto a = parse_ip4(addr);
    if (!a) {
      why = fmt::format("\"{}\" is not an IPv4 or IPv6 address or prefix", text);
      return std::nullopt;
    }
    p.p4 = Prefix4{*a, static_cast<uint8_t>(len)};
    if ((*a & ~mask4(static_cast<unsigned>(len))) != 0) {
      why = fmt::format("{} has host bits set after the /{} (did you mean {}/{}?)", text, len,
                        ipv4_str(*a & mask4(static_cast<unsigned>(len))), len);
      return std::nullopt;
    }
    return p;
  }
  auto a = parse_ip6(addr);
  if (!a) {
    why = fmt::format("\"{}\" is not an IPv4 or IPv6 address or prefix", text);
    return std::nullopt;
  }
  std::array<uint8_t, 16> net = *a;
  for (unsigned bit = static_cast<unsigned>(len); bit < 128; ++bit)
    net[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  if (net != *a) {
    why = fmt::format("{} has host bits set after the /{} (did you mean {}/{}?)", text, len, ipv6_str(net), len);
    return std::nullopt;
  }
  p.p6 = Prefix6{*a, static_cast<uint8_t>(len)};
  return p;
}

std::optional<Ipv4Cidr> parse_iface_address(std::string_view s, std::string& why) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) {
    why = fmt::format("\"{}\" needs the subnet's prefix length, e.g. 192.168.10.1/24", s);
    return std::nullopt;
  }
  std::string_view addr = s.substr(0, slash), len_text = s.substr(slash + 1);
  if (addr.find(':') != std::string_view::npos) {
    why = fmt::format("\"{}\": interface addresses must be IPv4", s);
    return std::nullopt;
  }
  auto a = parse_ip4(addr);
  uint64_t len = 0;
  if (!a) {
    why = fmt::format("\"{}\" is not an IPv4 address", s);
    return std::nullopt;
  }
  if (!parse_decimal(len_text, len) || len < 1 || len > 32) {
    why = fmt::format("\"{}\" has an invalid prefix length (must be 1..32)", s);
    return std::nullopt;
  }
  Ipv4Cidr c{*a, static_cast<uint8_t>(len)};
  if (len <= 30 && c.addr == c.network()) {
    why = fmt::format("{} is the subnet's network address; give the edge's own address, e.g. {}/{}", s,
                      ipv4_str(c.network() + 1), len);
    return std::nullopt;
  }
  if (len <= 30 && c.addr == (c.network() | ~c.mask())) {
    why = fmt::format("{} is the subnet's broadcast address; give the edge's own address", s);
    return std::nullopt;
  }
  return c;
}

std::optional<MacAddress> parse_mac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  MacAddress mac{};
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && s[i * 3 - 1] != ':') return std::nullopt;
    int hi = hex_digit(s[i * 3]), lo = hex_digit(s[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    mac[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return mac;
}

std::optional<MacAddress> parse_host_mac(std::string_view s, std::string& why) {
  auto m = parse_mac(s);
  if (!m) {
    why = fmt::format("\"{}\" is not a MAC address like \"02:00:00:00:01:01\" (quote it in YAML)", s);
    return std::nullopt;
  }
  if ((*m)[0] & 1u) {
    why = fmt::format("{} is a multicast/broadcast MAC, not a host's", s);
    return std::nullopt;
  }
  if (*m == MacAddress{}) {
    why = "is all zeros";
    return std::nullopt;
  }
  return m;
}

std::optional<PortRange> parse_port_range(std::string_view s, std::string& why) {
  std::string_view v = trim(s);
  uint64_t lo = 0, hi = 0;
  auto dash = v.find('-');
  bool ok = dash == std::string_view::npos
                ? parse_decimal(v, lo) && (hi = lo, true)
                : parse_decimal(trim(v.substr(0, dash)), lo) && parse_decimal(trim(v.substr(dash + 1)), hi);
  if (!ok) {
    why = fmt::format("\"{}\" is not a port or a \"low-high\" port range", s);
    return std::nullopt;
  }
  if (lo > 65535 || hi > 65535) {
    why = fmt::format("\"{}\": ports go from 0 to 65535", s);
    return std::nullopt;
  }
  if (lo > hi) {
    why = fmt::format("\"{}\": range starts above its end (write \"{}-{}\")", s, hi, lo);
    return std::nullopt;
  }
  return PortRange{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
}

std::optional<int16_t> parse_protocol(std::string_view s) {
  static constexpr std::pair<std::string_view, int16_t> kNames[]{{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
  for (const auto& [name, number] : kNames)
    if (s == name) return number;
  uint64_t num = 0;
  if (parse_decimal(s, num) && num <= 255) return static_cast<int16_t>(num);
  return std::nullopt;
}

std::string device_problem(std::string_view device, unsigned instance) {
  const std::string_view name = device.substr(0, device.find(','));
  if (name.empty() || name.find(':') != std::string_view::npos || name.rfind("net_", 0) == 0 ||
      name.rfind("eth_", 0) == 0)
    return "";
  return fmt::format(
      "device \"{}\" is not a DPDK port: give a PCI address (\"0000:03:00.0\", bound to vfio-pci) or a vdev string; "
      "did you mean \"net_af_packet{},iface={}\"? (drives the Linux interface {} through af_packet)",
      device, instance, name, name);
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > kMaxNameLen) return false;
  return std::all_of(n.begin(), n.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}

}  // namespace wansteer::policy_reader
