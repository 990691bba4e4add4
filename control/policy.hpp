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
  uint64_t capacity_up_bps = 0;    // capacity.up; 0 = not given (no shaper)
  uint64_t capacity_down_bps = 0;  // capacity.down (informational for now)
  bool shaping = true;             // with capacity_up_bps: shape egress to it; false = straight to the NIC
  SourceLoc loc;
};

// A class's rate limit (control/egress_plan.cpp compiles it into a MeterProfile). Rates in bit/s, bursts in bytes.
struct RateLimitSpec {
  uint64_t rate_bps = 0;
  uint64_t burst_bytes = 0;       // 0 = default (kDefaultBurstMs of rate, at least two full frames)
  uint64_t peak_rate_bps = 0;     // 0 = single rate: everything above rate gets the exceed action
  uint64_t peak_burst_bytes = 0;  // 0 = same as the committed burst
  bool remark = false;            // exceed: remark (set DSCP to remark_dscp and send) instead of drop
  uint8_t remark_dscp = 0;
};

enum class BackupMode : uint8_t {
  same,       // on_backup not given: the class's own limit (or none) applies on backup links too
  limit,      // on_backup: {limit: ...}
  block,      // on_backup: block -- drop the class on backup links
  unlimited,  // on_backup: unlimited -- lift the class's limit on backup links
};

// Per class (index = class id), kept beside ClassSpec so code that builds ClassSpec by hand needn't change.
struct ClassLimitSpec {
  std::optional<RateLimitSpec> limit;  // applies on every link (unless on_backup says otherwise)
  BackupMode on_backup = BackupMode::same;
  RateLimitSpec backup_limit;          // when on_backup == limit
};

struct ShaperSpec {
  std::vector<uint8_t> priority;    // class ids, highest first; after loading it lists every class
  std::vector<uint8_t> delay_drop;  // classes with CoDel-style sojourn drops; default: the last two of priority
  uint32_t delay_target_ms = 5;     // sojourn above this ...
  uint32_t delay_interval_ms = 100; // ... for this long starts dropping
  uint32_t queue_ms = 50;           // queue limit per class: this long at the link's rate, in 1500-byte frames
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

struct Policy {
  std::string path;
  std::string name;
  LanSpec lan;
  std::vector<LinkSpec> links;      // 1..kMaxLinks (2..8 expected for a real edge)
  std::vector<ClassSpec> classes;   // index = class id; always contains "default"
  std::vector<ClassRule> rules;     // policy order; class_id indexes classes
  uint8_t default_class = 0;
  FlowCacheSpec flow_cache;
  std::vector<ClassLimitSpec> class_limits;  // index = class id; a shorter vector means "no limits" for the rest
  ShaperSpec shaper;

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
