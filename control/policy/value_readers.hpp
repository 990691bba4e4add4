// The policy's typed values read from YAML nodes: the pure parsers of value_parsers.hpp plus the error, with the
// node's line and column, when the text is not such a value.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "control/policy/yaml_reader.hpp"

namespace wansteer::policy_reader {

// "link \"fiber\"" when the item has a valid name, else "link 3": used before the name itself is validated,
// so that an unknown key in a link is reported against the link's name.
std::string label(const char* kind, const YAML::Node& n, size_t index);

std::optional<std::string> read_name(Diagnostics& diag, const Item& it, const std::string& what);
std::optional<uint32_t> read_ip4(Diagnostics& diag, const Item& it, const std::string& what);
std::optional<MacAddress> read_mac(Diagnostics& diag, const Item& it, const std::string& what);
std::optional<Ipv4Cidr> read_iface_address(Diagnostics& diag, const Item& it, const std::string& what);
std::optional<PortRange> read_port_range(Diagnostics& diag, const Item& it, const std::string& what);
// A DSCP value, 0 to 63 or a name (EF, AF41, CS3, ...).
std::optional<uint8_t> read_dscp_value(Diagnostics& diag, const Item& it, const std::string& what);
// A rate from 8 kbit/s to 400 Gbit/s.
std::optional<uint64_t> read_rate(Diagnostics& diag, const Item& it, const std::string& what);
std::optional<uint64_t> read_size(Diagnostics& diag, const Item& it, const std::string& what, uint64_t lo, uint64_t hi);

}  // namespace wansteer::policy_reader
