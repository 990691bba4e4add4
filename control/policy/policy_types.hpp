// The policy's plain values (LAN, links, classes, rules, limits, shaper...) as the loader leaves them, and the
// PolicyError that points at a FILE:LINE:COLUMN. Reading them from YAML is control/policy/policy_loader.hpp.
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

// An error makes the policy unusable; a warning marks a policy that loads but cannot do what it seems to say
// (a class that can never send, a rule that can never match). `--check --strict` treats warnings as errors.
enum class Severity : uint8_t { error, warning };

struct PolicyError {
  SourceLoc loc;
  std::string reason;
  Severity severity = Severity::error;
  std::string to_string() const;  // "FILE:LINE:COLUMN: reason", or "FILE:LINE:COLUMN: warning: reason"
};

using MacAddress = std::array<uint8_t, 6>;

struct Ipv4Cidr {
  uint32_t addr = 0;  // host order: the interface's own address (host bits kept)
  uint8_t len = 0;
  uint32_t mask() const { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
  uint32_t network() const { return addr & mask(); }
};

struct LanSubnetSpec {
  Ipv4Cidr address;     // edge's own address and the subnet, e.g. 192.168.10.1/24
  uint16_t vlan = 0;    // 0 = untagged
  bool routed = false;  // a routed LAN behind another router: sources outside the subnet are admitted too
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

enum class ProbeKind : uint8_t { icmp, stamp };

struct ProbeTarget {
  uint32_t address = 0;  // host order
  ProbeKind kind = ProbeKind::icmp;
  uint16_t port = 862;  // STAMP reflector's UDP port
};

// How a link is probed and judged. Top-level `probing:` gives the defaults, a link's `probe:` overrides them.
struct ProbeSpec {
  bool enabled = true;                // false: the link counts as healthy whenever it is up and resolved
  std::vector<ProbeTarget> targets;   // empty: ICMP echo to the link's gateway
  uint32_t interval_ms = 20;          // per target
  uint32_t idle_interval_ms = 0;      // metered link carrying no traffic; 0 = 5000 when metered, else interval_ms
  uint32_t detect_multiplier = 4;     // down after this many intervals without any reply (20 ms x 4 = 80 ms)
  uint32_t loss_window = 50;          // loss is measured over the last N probes per target
  uint32_t reply_timeout_ms = 300;    // an unanswered probe counts as lost after this
  uint32_t hold_down_ms = 10000;      // a recovered link (or class on it) must stay good this long
  uint32_t passive_timeout_ms = 300;  // sending traffic but receiving nothing this long: suspect now; 0 = off
  uint32_t min_samples = 10;          // SLA judgments wait for this many probe outcomes
  uint32_t boost_interval_ms = 1;     // probe interval while the loss test is in doubt (unmetered links); 0 = never
  uint32_t traffic_interval_ms = 5;   // probe interval while an unmetered link carries user traffic; 0 = never
  // STAMP authenticated mode (RFC 8762): the key file as resolved ("" = unauthenticated) and the key read from it
  // when the policy was loaded, so a missing or weak key is a policy error, never a probe that cannot be sent.
  std::string stamp_auth_key_file;
  std::vector<uint8_t> stamp_auth_key;
  uint32_t effective_idle_interval_ms(bool metered) const {
    return idle_interval_ms != 0 ? idle_interval_ms : metered ? 5000 : interval_ms;
  }
};

// A port forward of a NAT link (links[].forwards, control/policy/forwards_section.cpp): `proto` to the link's address,
// ports port.lo..port.hi, goes to LAN host `to_ip`, ports from `to_port` on (1:1); only from `from` when it is given.
struct ForwardSpec {
  uint8_t proto = 0;  // IP protocol: 6 (tcp) or 17 (udp)
  PortRange port;
  uint32_t to_ip = 0;         // host order
  uint16_t to_port = 0;       // the target port of port.lo
  std::vector<Prefix4> from;  // empty: any source
  SourceLoc loc, to_loc;      // the forward, and its `to` (checked against the LAN once both are read)
};

enum class BudgetPeriod : uint8_t { daily, weekly, monthly };

// A metered link's data budget (links[].metered: {budget, period, reset_day}): bytes in both directions per period,
// periods in UTC (control/budget/budget_period.hpp).
struct BudgetSpec {
  uint64_t bytes = 0;
  BudgetPeriod period = BudgetPeriod::monthly;
  uint32_t reset_day = 1;  // monthly: day of month 1..31 (past a month's end: its last day); weekly: 1 = Monday..7
};

struct LinkSpec {
  std::string name;
  std::string device;
  Ipv4Cidr address;      // with dhcp: the lease's (0/0 while none), applied by control/runtime/dhcp_links
  uint32_t gateway = 0;  // host order; with dhcp: the lease's router (0 while none)
  bool dhcp = false;     // address: dhcp
  std::optional<MacAddress> gateway_mac;
  LinkRole role = LinkRole::primary;
  uint32_t weight = 1;               // share in balance mode
  bool metered = false;              // billed by volume: probe slowly while it carries no traffic
  std::optional<BudgetSpec> budget;  // metered: {budget: ...}: what the link may carry per period
  ProbeSpec probe;
  uint64_t capacity_up_bps = 0;       // capacity.up; 0 = not given (no shaper)
  uint64_t capacity_down_bps = 0;     // capacity.down (informational for now)
  bool shaping = true;                // with capacity_up_bps: shape egress to it; false = straight to the NIC
  bool nat = true;                    // source NAT to the link's address (false: a routed public LAN behind it)
  bool firewall = true;               // nat: false only: inbound only to the LAN's sessions and the forwards
  std::vector<ForwardSpec> forwards;  // port forwards to LAN hosts (routed links: their ports open to the internet)
  uint16_t mtu = 1500;                // the largest IP packet the link carries (576..9000)
  bool fragment = true;               // IPv4 over mtu without DF: fragmented (false: dropped)
  bool mss_clamp = true;              // TCP SYN MSS lowered to mtu - 40 in both directions
  SourceLoc loc;
  SourceLoc capacity_loc;  // the capacity key (line 0: not given), for warnings
};

// A class's service level: a link qualifies for the class while its measurements stay within these.
struct SlaSpec {
  std::string preset = "bulk";  // voice, interactive, bulk, or "custom"
  double max_loss_pct = 20;
  double max_rtt_ms = 1000;
  double max_jitter_ms = 200;
};
// The named presets (voice: 1 % / 150 ms / 30 ms, from common VoIP practice).
std::optional<SlaSpec> sla_preset(const std::string& name);

enum class OnBreach : uint8_t { move, stay };  // flows on a link that went out of SLA (still alive)
// Flows on a fallback link when the preferred one is good again: `automatic` keeps those on a NATed link (moving
// them would reset every TCP session: their NAT mapping lives on that link) and returns the others.
enum class OnRecovery : uint8_t { automatic, back, stay };
enum class StickBy : uint8_t { flow, host_pair };
// Copies of each packet over a second overlay path (issue 13): never; always (two best links); or only while one of
// the class's overlay links is out of its SLA. The hub's replay window drops the later copy (same counter).
enum class Duplicate : uint8_t {
  never,
  always,
  when_out_of_sla
};  // what shares a link: one 5-tuple, or all flows of a host pair

// A class's rate limit (control/runtime/egress_plan.cpp compiles it into a MeterProfile). Rates in bit/s, bursts in
// bytes.
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

// What a class does on a link whose data budget is spent (on_budget_exhausted). The default is block: a capped line
// carries only what the policy lets through explicitly.
enum class BudgetAction : uint8_t {
  block,  // dropped on that link (budget_exhausted), steered to another link where one is usable
  limit,  // on_budget_exhausted: {limit: RATE}: this rate limit on that link instead of the class's own
  allow,  // keeps running as before (e.g. voice and payments on a line whose overage the office accepts)
};

// Per class (index = class id), kept beside ClassSpec so code that builds ClassSpec by hand needn't change.
struct ClassLimitSpec {
  std::optional<RateLimitSpec> limit;  // applies on every link (unless on_backup says otherwise)
  BackupMode on_backup = BackupMode::same;
  RateLimitSpec backup_limit;  // when on_backup == limit
  BudgetAction on_budget = BudgetAction::block;
  RateLimitSpec budget_limit;  // when on_budget == limit
};

struct ShaperSpec {
  std::vector<uint8_t> priority;     // class ids, highest first; after loading it lists every class
  std::vector<uint8_t> delay_drop;   // classes with CoDel-style sojourn drops; default: the last two of priority
  uint32_t delay_target_ms = 5;      // sojourn above this ...
  uint32_t delay_interval_ms = 100;  // ... for this long starts dropping
  uint32_t queue_ms = 50;            // queue limit per class: this long at the link's rate, in 1500-byte frames
  uint32_t queue_bytes = 0;          // byte limit per class queue; 0 = the packet limit x 1500 bytes (>= 9216)
};

// One entry of a class's paths: (issue 13; the planner expands them, control/steering/class_paths_plan.hpp): out of
// a link directly, or through the WireGuard overlay to the hub over a link; via = -1: over each of the class's links.
struct PathSpec {
  enum class Kind : uint8_t { direct, overlay };
  Kind kind = Kind::direct;
  int via = -1;  // index into Policy::links, or -1
  bool operator==(const PathSpec&) const = default;
};

struct ClassSpec {
  std::string name;
  SteerMode mode = SteerMode::priority;
  std::vector<uint8_t> links;   // indices into Policy::links, in preference order
  std::vector<PathSpec> paths;  // empty: not given
  SlaSpec sla;
  OnBreach on_sla_breach = OnBreach::move;
  OnRecovery on_recovery = OnRecovery::automatic;
  StickBy stick_by = StickBy::flow;
  Duplicate duplicate = Duplicate::never;
  SourceLoc loc;
};

struct FlowCacheSpec {
  uint32_t size = 65536;         // entries per worker
  uint32_t idle_timeout_s = 30;  // a flow idle this long is forgotten (and reclassified when it returns)
};

// The nat section: session table size per worker, per-host cap, idle timeouts (RFC 4787 REQ-5: UDP >= 120 s;
// RFC 5382 REQ-5: TCP established >= 2 h 4 min, transitory >= 4 min).
struct NatSpec {
  uint32_t sessions = 65536;  // per worker
  uint32_t per_host = 4096;   // sessions one LAN address may hold in one worker
  uint32_t udp_timeout_s = 300;
  uint32_t tcp_established_timeout_s = 7440;
  uint32_t tcp_transitory_timeout_s = 240;
  uint32_t icmp_timeout_s = 60;
};

// The overlay section (issue 13): a WireGuard hub reachable over every link. Parsed and checked at load (the key
// file's mode and text, the hub's key and endpoint); not yet on the fast path.
struct OverlaySpec {
  bool enabled = false;
  std::string private_key_file;              // as resolved against the policy's directory; the key is not kept
  std::array<uint8_t, 32> public_key{};      // ours, derived from the private key (what the hub's config needs)
  std::array<uint8_t, 32> hub_public_key{};  // the peer's (hub or site)
  uint32_t hub_address = 0;  // host order; 0 for a site peer without endpoint: learned from what it sends
  uint16_t hub_port = 51820;
  // The hub's own address inside the tunnel (overlay: hub: inner_address), where the path probes go; the default is
  // that of `wansteer overlay hub-config`.
  uint32_t hub_inner_address = 0x0ac80001;  // 10.200.0.1, host order
  // `peer:` instead of `hub:` (docs/overlay-sites.md): another site, whose allowed_ips (its LAN prefixes) are the
  // only inner sources accepted from it and the destinations sealed to it; its endpoint roams.
  bool site_peer = false;
  std::vector<Ipv4Cidr> allowed_ips;  // site_peer only; network addresses (host bits clear)
  uint16_t mtu = 1420;                // inner MTU
  uint16_t listen_port = 51820;       // our UDP port on every link (not yet a policy key)
  uint32_t rekey_after_s = 120;  // REKEY_AFTER_TIME; lower only in labs (rekey_after_s: every one costs a handshake)
  SourceLoc loc;
};

struct MetricsSpec {
  std::optional<std::string> listen;  // "HOST:PORT" for the Prometheus exporter; unset: the built-in default
};

// Where parts of the policy were written, for the warnings pass (control/policy/policy_warnings.hpp).
struct PolicyOrigins {
  SourceLoc classes;            // the classes key, or the top of the file when it is absent
  size_t declared_classes = 0;  // classes written in the file (the implicit default not counted)
  struct Rule {
    SourceLoc loc;
    uint16_t number = 0;  // 1-based position in the rules list (one policy rule may become several ClassRules)
  };
  std::vector<Rule> rules;  // index = index into Policy::rules
};

struct Policy {
  std::string path;
  std::string name;
  LanSpec lan;
  std::vector<LinkSpec> links;     // 1..kMaxLinks (2..8 expected for a real edge)
  std::vector<ClassSpec> classes;  // index = class id; always contains "default"
  std::vector<ClassRule> rules;    // policy order; class_id indexes classes
  uint8_t default_class = 0;
  FlowCacheSpec flow_cache;
  NatSpec nat;
  std::vector<ClassLimitSpec> class_limits;  // index = class id; a shorter vector means "no limits" for the rest
  ShaperSpec shaper;
  MetricsSpec metrics;
  OverlaySpec overlay;
  PolicyOrigins origins;

  int link_index(const std::string& n) const;   // -1 when unknown
  int class_index(const std::string& n) const;  // -1 when unknown
};

}  // namespace wansteer
