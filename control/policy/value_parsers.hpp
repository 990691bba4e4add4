// The policy's value syntaxes as pure functions of text (no YAML, no error sink): numbers, rates, sizes, addresses,
// prefixes, MACs, names, ports and protocols. Where a value can be wrong in several ways, `why` says how.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "control/policy/policy_types.hpp"

namespace wansteer::policy_reader {

constexpr size_t kMaxNameLen = 32;

// Without leading blanks and trailing blanks or CR.
std::string_view trim(std::string_view s);

// Plain decimal digits only: "0x10", "+5", "1.5" and "1_000" are all rejected so a typo can't mean something else.
bool parse_decimal(std::string_view s, uint64_t& out);

// A finite decimal number ("1.5", "2e1", " 3 "), for SLA thresholds.
std::optional<double> parse_number(std::string_view s);

// A rate in bit/s, in any case: "5mbit", "1.5Mbit", "500kbit", "2M", "100Mbps", "1gbit/s", "64000bit" or a plain
// number. Byte rates ("5MBps", "5MB/s") are refused.
std::optional<uint64_t> parse_rate(std::string_view s);

// A DSCP value: a number (range checked by the caller) or a name in any case: EF (46), VA (44), AF11 to AF43
// (8 x class + 2 x drop precedence), CS0 to CS7 (8 x class), BE or default (0).
std::optional<uint64_t> parse_dscp(std::string_view s);

// A size in bytes, in any case: a plain number or with b, kb, mb, gb, tb (1000-based), kib, mib, gib, tib.
std::optional<uint64_t> parse_size(std::string_view s);

std::optional<uint32_t> parse_ip4(std::string_view s);  // host order
std::optional<std::array<uint8_t, 16>> parse_ip6(std::string_view s);

// A prefix for matching (rules and prefix lists), IPv4 or IPv6.
struct AnyPrefix {
  bool v6 = false;
  Prefix4 p4;
  Prefix6 p6;
};

// "addr/len" or a bare address (= /32 or /128); host bits set below the length are an error. `why` is a whole
// sentence: "\"x\" is not an IPv4 or IPv6 address or prefix".
std::optional<AnyPrefix> parse_prefix(std::string_view text, std::string& why);

// The edge's own address on a network, with the subnet's length: 192.168.10.1/24. `why` follows the value's
// description: "lan subnet 1 address" + " " + why.
std::optional<Ipv4Cidr> parse_iface_address(std::string_view s, std::string& why);

// "02:00:00:00:01:01" in any case, without checking what kind of MAC it is.
std::optional<MacAddress> parse_mac(std::string_view s);

// A host's MAC: not multicast/broadcast, not all zeros. `why` follows the value's description, as above.
std::optional<MacAddress> parse_host_mac(std::string_view s, std::string& why);

// A port or a "lo-hi" range. `why` follows the value's description, as above.
std::optional<PortRange> parse_port_range(std::string_view s, std::string& why);

// tcp, udp, icmp, icmpv6 or a number 0..255, as an IP protocol number.
std::optional<int16_t> parse_protocol(std::string_view s);

// What is wrong with a port's `device` ("" when nothing): it must name a DPDK port, a PCI address ("0000:03:00.0",
// or any bus:name) or a vdev string whose driver is net_* or eth_*. A bare name such as eth1 would fail only at
// start, so it is refused here with the af_packet vdev string that drives that Linux interface (instance number
// `instance`, unique per port).
std::string device_problem(std::string_view device, unsigned instance);

// 1 to kMaxNameLen characters from a-z, 0-9, _ and -.
bool valid_name(std::string_view n);

}  // namespace wansteer::policy_reader
