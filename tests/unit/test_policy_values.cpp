// Unit tests for the policy reader's parts: the value parsers (table-driven: text in, value or reason out), the
// "did you mean" suggestions, and the rule match-key table that both reads rules and lists their keys.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "control/common/addr_format.hpp"
#include "control/policy/did_you_mean.hpp"
#include "control/policy/policy.hpp"
#include "control/policy/rule_match_keys.hpp"
#include "control/policy/value_parsers.hpp"

using namespace wansteer;
using namespace wansteer::policy_reader;

namespace {

struct NumberCase {
  const char* text;
  std::optional<uint64_t> value;  // nullopt: rejected
};

template <typename Parse>
void check_numbers(Parse parse, const std::vector<NumberCase>& cases) {
  for (const auto& c : cases) {
    INFO("text: \"" << c.text << "\"");
    CHECK(parse(c.text) == c.value);
  }
}

// Text in, the value's own form out ("" when rejected) and the reason's start when rejected.
struct TextCase {
  const char* text;
  const char* value;  // "" = rejected
  const char* why;    // start of the reason when rejected
};

template <typename Parse, typename Show>
void check_texts(Parse parse, Show show, const std::vector<TextCase>& cases) {
  for (const auto& c : cases) {
    INFO("text: \"" << c.text << "\"");
    std::string why;
    auto v = parse(c.text, why);
    if (std::string(c.value).empty()) {
      CHECK(!v);
      CHECK(why.rfind(c.why, 0) == 0);
    } else {
      REQUIRE(v);
      CHECK(show(*v) == c.value);
    }
  }
}

}  // namespace

TEST_CASE("rates: bit units with decimals, whole bits only", "[policy][values]") {
  check_numbers(parse_rate, {
                                {"5mbit", 5000000},
                                {"1.5mbit", 1500000},
                                {"500kbit", 500000},
                                {"1gbit", 1000000000},
                                {"64000bit", 64000},
                                {"64000", 64000},
                                {"0.001kbit", 1},
                                {"1.5bit", std::nullopt},  // not a whole bit
                                {"2Mbit", 2000000},        // tc and ISP spellings, any case
                                {"2M", 2000000},
                                {"2mbit", 2000000},
                                {"100Mbps", 100000000},
                                {"100 Mbps", 100000000},
                                {"500kbit", 500000},
                                {"500K", 500000},
                                {"1Gbit/s", 1000000000},
                                {"64000bps", 64000},
                                {"5MBps", std::nullopt},  // a capital B before ps or /s is bytes: refused
                                {"5MB/s", std::nullopt},
                                {"5  mbit", std::nullopt},
                                {"5 m bit", std::nullopt},
                                {"5mib", std::nullopt},
                                {"mbit", std::nullopt},
                                {"1.mbit", std::nullopt},
                                {"1.1234567mbit", std::nullopt},  // more than 6 decimals
                                {"-5mbit", std::nullopt},
                                {"", std::nullopt},
                            });
}

TEST_CASE("sizes: bytes with 1000- and 1024-based units", "[policy][values]") {
  check_numbers(parse_size, {
                                {"1514", 1514},
                                {"64kb", 64000},
                                {"64kib", 65536},
                                {"2mb", 2000000},
                                {"1mib", 1048576},
                                {"1.5kb", 1500},
                                {"10b", 10},
                                {"1kbit", std::nullopt},
                                {"0x10", std::nullopt},
                            });
}

TEST_CASE("plain decimals: digits only, no signs, bases or separators", "[policy][values]") {
  auto decimal = [](std::string_view s) {
    uint64_t v = 0;
    return parse_decimal(s, v) ? std::optional<uint64_t>(v) : std::nullopt;
  };
  check_numbers(decimal, {
                             {"0", 0},
                             {"65535", 65535},
                             {"999999999999", 999999999999},
                             {"9999999999999", std::nullopt},  // more than 12 digits
                             {"+5", std::nullopt},
                             {"0x10", std::nullopt},
                             {"1_000", std::nullopt},
                             {"1.0", std::nullopt},
                         });
}

TEST_CASE("numbers: finite decimals for SLA thresholds", "[policy][values]") {
  const std::vector<std::pair<const char*, std::optional<double>>> cases{{"1.5", 1.5},
                                                                         {" 3 ", 3.0},
                                                                         {"2e1", 20.0},
                                                                         {"0", 0.0},
                                                                         {"nan", std::nullopt},
                                                                         {"1e999", std::nullopt},
                                                                         {"inf", std::nullopt},
                                                                         {"x", std::nullopt},
                                                                         {"1.5ms", std::nullopt},
                                                                         {"", std::nullopt}};
  for (const auto& [text, value] : cases) {
    INFO("text: \"" << text << "\"");
    CHECK(parse_number(text) == value);
  }
}

TEST_CASE("prefixes: IPv4 and IPv6, bare addresses, host bits refused", "[policy][values]") {
  auto show = [](const AnyPrefix& p) {
    return p.v6 ? fmt::format("{}/{}", ipv6_str(p.p6.addr), p.p6.len)
                : fmt::format("{}/{}", ipv4_str(p.p4.addr), p.p4.len);
  };
  check_texts(
      parse_prefix, show,
      {
          {"10.0.0.0/8", "10.0.0.0/8", ""},
          {"192.0.2.7", "192.0.2.7/32", ""},
          {"0.0.0.0/0", "0.0.0.0/0", ""},
          {"2001:db8::/32", "2001:db8::/32", ""},
          {"2001:db8::1", "2001:db8::1/128", ""},
          {"10.1.2.3/16", "", "10.1.2.3/16 has host bits set after the /16 (did you mean 10.1.0.0/16?)"},
          {"2001:db8::1/32", "", "2001:db8::1/32 has host bits set after the /32 (did you mean 2001:db8::/32?)"},
          {"10.0.0.0/33", "", "\"10.0.0.0/33\" has an invalid prefix length (must be 0..32)"},
          {"2001:db8::/129", "", "\"2001:db8::/129\" has an invalid prefix length (must be 0..128)"},
          {"10.0.0.0/", "", "\"10.0.0.0/\" has an invalid prefix length"},
          {"10.0.0/8", "", "\"10.0.0/8\" is not an IPv4 or IPv6 address or prefix"},
          {"example.com", "", "\"example.com\" is not an IPv4 or IPv6 address or prefix"},
      });
}

TEST_CASE("interface addresses: the edge's own IPv4 address with its subnet", "[policy][values]") {
  auto show = [](const Ipv4Cidr& c) { return fmt::format("{}/{}", ipv4_str(c.addr), c.len); };
  check_texts(parse_iface_address, show,
              {
                  {"192.168.10.1/24", "192.168.10.1/24", ""},
                  {"10.0.0.0/31", "10.0.0.0/31", ""},  // point-to-point: no network or broadcast address
                  {"10.0.0.5/32", "10.0.0.5/32", ""},
                  {"192.168.10.1", "", "\"192.168.10.1\" needs the subnet's prefix length"},
                  {"2001:db8::1/64", "", "\"2001:db8::1/64\": interface addresses must be IPv4"},
                  {"192.168.10.300/24", "", "\"192.168.10.300/24\" is not an IPv4 address"},
                  {"192.168.10.1/0", "", "\"192.168.10.1/0\" has an invalid prefix length (must be 1..32)"},
                  {"192.168.10.0/24", "",
                   "192.168.10.0/24 is the subnet's network address; give the edge's own "
                   "address, e.g. 192.168.10.1/24"},
                  {"192.168.10.255/24", "", "192.168.10.255/24 is the subnet's broadcast address"},
              });
}

TEST_CASE("ports: one port or a low-high range", "[policy][values]") {
  auto show = [](const PortRange& r) { return fmt::format("{}-{}", r.lo, r.hi); };
  check_texts(parse_port_range, show,
              {
                  {"5060", "5060-5060", ""},
                  {"10000-20000", "10000-20000", ""},
                  {" 80 - 81 ", "80-81", ""},
                  {"0", "0-0", ""},
                  {"65535", "65535-65535", ""},
                  {"65536", "", "\"65536\": ports go from 0 to 65535"},
                  {"20-10", "", "\"20-10\": range starts above its end (write \"10-20\")"},
                  {"http", "", "\"http\" is not a port or a \"low-high\" port range"},
                  {"10-", "", "\"10-\" is not a port"},
              });
}

TEST_CASE("MACs: a host's unicast address, any case", "[policy][values]") {
  auto show = [](const MacAddress& m) { return mac_str(m.data()); };
  check_texts(parse_host_mac, show,
              {
                  {"02:00:00:00:01:01", "02:00:00:00:01:01", ""},
                  {"02:AB:cd:EF:00:ff", "02:ab:cd:ef:00:ff", ""},
                  {"02-00-00-00-01-01", "", "\"02-00-00-00-01-01\" is not a MAC address"},
                  {"02:00:00:00:01", "", "\"02:00:00:00:01\" is not a MAC address"},
                  {"02:00:00:00:01:0g", "", "\"02:00:00:00:01:0g\" is not a MAC address"},
                  {"ff:ff:ff:ff:ff:ff", "", "ff:ff:ff:ff:ff:ff is a multicast/broadcast MAC"},
                  {"01:00:5e:00:00:01", "", "01:00:5e:00:00:01 is a multicast/broadcast MAC"},
                  {"00:00:00:00:00:00", "", "is all zeros"},
              });
}

TEST_CASE("protocols: names and numbers 0..255", "[policy][values]") {
  const std::vector<std::pair<const char*, int>> cases{{"tcp", 6},  {"udp", 17},  {"icmp", 1},  {"icmpv6", 58},
                                                       {"47", 47},  {"0", 0},     {"255", 255}, {"256", -1},
                                                       {"TCP", -1}, {"sctp", -1}, {"", -1}};
  for (const auto& [text, number] : cases) {
    INFO("text: \"" << text << "\"");
    auto p = parse_protocol(text);
    CHECK((p ? *p : -1) == number);
  }
}

TEST_CASE("names: lower-case letters, digits, _ and -, up to 32", "[policy][values]") {
  CHECK(valid_name("fiber"));
  CHECK(valid_name("m365_teams-2"));
  CHECK(valid_name(std::string(32, 'a')));
  CHECK_FALSE(valid_name(std::string(33, 'a')));
  CHECK_FALSE(valid_name(""));
  CHECK_FALSE(valid_name("Fiber"));
  CHECK_FALSE(valid_name("lte 2"));
}

TEST_CASE("did you mean: the closest option within two edits", "[policy][values]") {
  const std::vector<std::string> keys{"gateway", "device", "address", "weight"};
  CHECK(suggest("gatway", keys) == " (did you mean \"gateway\"?)");
  CHECK(suggest("adress", keys) == " (did you mean \"address\"?)");
  CHECK(suggest("weigth", keys) == " (did you mean \"weight\"?)");
  CHECK(suggest("colour", keys).empty());
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(join({"a", "b", "c"}) == "a, b, c");
}

TEST_CASE("rule match keys: one table reads the rules and names their keys", "[policy][values]") {
  const std::vector<std::string> expected{"dscp", "protocol",      "src_ports",        "dst_ports",
                                          "src",  "dst",           "src_prefix_lists", "dst_prefix_lists",
                                          "vlan", "ingress_subnet"};
  CHECK(match_key_names() == expected);
  for (const auto& key : match_keys()) CHECK(key.read != nullptr);

  // An unknown key in a rule is suggested from the same table.
  const std::string policy =
      "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"
      "links:\n"
      "  - {name: a, device: net_null1, address: 10.0.1.2/24, gateway: 10.0.1.1}\n"
      "  - {name: b, device: net_null2, address: 10.0.2.2/24, gateway: 10.0.2.1}\n"
      "rules:\n"
      "  - {class: default, ingres_subnet: 192.168.10.0/24, dscp: 46}\n";
  auto r = parse_policy(policy, "p.yaml", ".");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() ==
        "p.yaml:6:22: rule 1: unknown key \"ingres_subnet\" (did you mean \"ingress_subnet\"?); valid keys are "
        "class, dscp, protocol, src_ports, dst_ports, src, dst, src_prefix_lists, dst_prefix_lists, vlan, "
        "ingress_subnet");
}
