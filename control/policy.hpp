// Policy: the operator's YAML policy file, loaded and validated into plain values; errors carry file:line:column.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/limits.hpp"
#include "dataplane/rules.hpp"
#include "dataplane/steering.hpp"

namespace wansteer {

struct SourceLoc {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

struct PolicyError {
  SourceLoc loc;
  std::string reason;
  std::string to_string() const;  // "FILE:LINE:COLUMN: reason"
};

using MacAddress = std::array<uint8_t, 6>;

struct Ipv4Cidr {
  uint32_t addr = 0;  // host order: the interface's own address (host bits kept)
  uint8_t len = 0;
  uint32_t mask() const { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
  uint32_t network() const { return addr & mask(); }
};

struct LanSubnetSpec {
  Ipv4Cidr address;   // edge's own address and the subnet, e.g. 192.168.10.1/24
  uint16_t vlan = 0;  // 0 = untagged
};

struct StaticNeighbor {
  uint32_t ip = 0;  // host order
  MacAddress mac{};
};

struct LanSpec {
  std::string device;  // DPDK device: vdev string ("net_af_packet0,iface=lan0") or PCI address
  std::vector<LanSubnetSpec> subnets;
  std::vector<StaticNeighbor> neighbors;
};

enum class LinkRole : uint8_t { primary, backup };

struct LinkSpec {
  std::string name;
  std::string device;
  Ipv4Cidr address;
  uint32_t gateway = 0;  // host order
  std::optional<MacAddress> gateway_mac;
  LinkRole role = LinkRole::primary;
  uint32_t weight = 1;   // share in balance mode
  SourceLoc loc;
};

struct ClassSpec {
  std::string name;
  SteerMode mode = SteerMode::priority;
  std::vector<uint8_t> links;  // indices into Policy::links, in preference order
  SourceLoc loc;
};

struct FlowCacheSpec {
  uint32_t size = 65536;          // entries per worker
  uint32_t idle_timeout_s = 30;   // a flow idle this long is forgotten (and reclassified when it returns)
};

struct MetricsSpec {
  std::optional<std::string> listen;  // "HOST:PORT" for the Prometheus exporter; unset: the built-in default
};

struct Policy {
  std::string path;
  std::string name;
  LanSpec lan;
  std::vector<LinkSpec> links;      // 1..kMaxLinks (2..8 expected for a real edge)
  std::vector<ClassSpec> classes;   // index = class id; always contains "default"
  std::vector<ClassRule> rules;     // policy order; class_id indexes classes
  uint8_t default_class = 0;
  FlowCacheSpec flow_cache;
  MetricsSpec metrics;

  int link_index(const std::string& n) const;   // -1 when unknown
  int class_index(const std::string& n) const;  // -1 when unknown
};

struct PolicyResult {
  std::optional<Policy> policy;     // set only when errors is empty
  std::vector<PolicyError> errors;  // every problem found, in file order
  bool ok() const { return policy.has_value(); }
};

// Loads and validates a policy file; prefix-list files are resolved relative to its directory.
PolicyResult load_policy(const std::string& path);

// Same, from text already in memory (tests); `file` names it in errors, `base_dir` resolves prefix lists.
PolicyResult parse_policy(const std::string& text, const std::string& file, const std::string& base_dir);

}  // namespace wansteer
