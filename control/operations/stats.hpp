// Counter totals: per-worker counters summed at read time, and their rendering as JSON and as text tables.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/budget/budget_view.hpp"
#include "control/policy/policy.hpp"
#include "dataplane/counters.hpp"

namespace wansteer {

struct WorkerContext;

struct PortTotals {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0, drops = 0;
};

// Sum of ClassLinkEgressCounters over workers (only the link's owner writes non-zero values).
struct EgressTotals {
  uint64_t meter_conform = 0, meter_exceed_drops = 0, meter_remarked = 0, blocked_drops = 0, queue_drops = 0,
           codel_drops = 0, timeout_drops = 0, queue_depth = 0;
};

struct CounterTotals {
  PortTotals port[kMaxPorts];
  uint64_t drop[kDropReasonCount] = {};
  uint64_t class_link_packets[kMaxClasses][kMaxLinks] = {};
  uint64_t class_link_bytes[kMaxClasses][kMaxLinks] = {};
  uint64_t class_no_link[kMaxClasses] = {};
  EgressTotals egress[kMaxClasses][kMaxLinks];
  uint64_t handoff_sent = 0, handoff_received = 0;
  uint64_t nat_forward_hits = 0, nat_hairpin = 0;  // WAN packets let in by port forwards; LAN packets hairpinned
  uint64_t flow_entries = 0, flow_hits = 0, flow_misses = 0, flow_inserts = 0, flow_evictions = 0, flow_expired = 0,
           flow_moves = 0, flow_uncached = 0, fast_lane = 0, wan_fast_lane = 0;
  uint64_t icmp_errors_sent = 0, icmp_errors_suppressed = 0, mss_clamped = 0;
  uint64_t ipv4_fragmented = 0, ipv4_fragments = 0;  // packets over a link's MTU fragmented, fragments made
  uint64_t icmp_echo_replies = 0, to_control = 0, loops = 0, busy_loops = 0, busy_cycles = 0, idle_cycles = 0;
  uint64_t naps = 0, sleep_cycles = 0;  // adaptive polling: naps when idle, TSC cycles asleep
  uint64_t wakes_by_packet = 0, wakes_by_kick = 0, wakes_by_timeout = 0;  // sleeps until a packet, by what ended them
  // WireGuard overlay: data messages sealed and opened, keepalives and handshake messages received
  uint64_t overlay_sealed = 0, overlay_opened = 0, overlay_keepalives_in = 0, overlay_handshakes_in = 0;
  uint64_t overlay_duplicates = 0, overlay_duplicates_skipped = 0;  // copies over a second path, copies not made
  uint64_t overlay_duplicates_discarded = 0;  // received copies whose counter the replay window had taken
};

// What control knows about each link, for display.
struct LinkView {
  bool admin_up = true;
  bool gateway_resolved = false;
  std::string gateway_mac;
  std::string own_mac;
  uint16_t port_id = 0;
  std::string state = "down";  // up, degraded (alive, out of some class's SLA), down
  std::string cause;           // why it is in that state (last change)
  bool probing = false;
  double loss_pct = 0, fwd_loss_pct = 0, rev_loss_pct = 0, rtt_ms = 0, rtt_max_ms = 0, jitter_ms = 0;
  uint64_t probes_sent = 0, probes_lost = 0, probe_replies = 0, probe_tx_bytes = 0, probe_rx_bytes = 0;
  uint64_t stamp_auth_failed =
      0;  // STAMP replies whose HMAC did not verify (authenticated mode), not counted as replies
  uint32_t probe_interval_ms = 0;
  struct Target {
    std::string address, kind;
    double loss_pct = 0, fwd_loss_pct = 0, rev_loss_pct = 0, rtt_ms = 0, jitter_ms = 0;
    uint32_t samples = 0;
  };
  std::vector<Target> targets;  // each probe target's own figures (the link shows its best live target's)
  // address: dhcp: the client's state and, with a lease, its address, gateway, server and time left.
  struct Lease {
    std::string state, address, gateway, server;
    double seconds_left = 0;  // 0 without a lease; infinite for a lease that never expires
  };
  std::optional<Lease> dhcp;
  std::optional<BudgetView> budget;  // metered links with a data budget
};

// Where each class runs now.
struct ClassView {
  std::vector<std::string> links;          // picked links, preferred first
  std::vector<std::string> overlay_links;  // of those, the links where it runs through the overlay to the hub now
  bool fallback = false;                   // no allowed link meets the SLA: best available
  std::string sla;                         // preset name or "custom"
  double max_loss_pct = 0, max_rtt_ms = 0, max_jitter_ms = 0;
  std::vector<std::string> sla_ok;  // allowed links that meet the SLA now
  double backup_seconds = 0;        // time spent on backup-role links
};

struct StatsView {
  const Policy* policy = nullptr;
  CounterTotals totals;
  std::vector<LinkView> links;
  std::vector<ClassView> classes;
  std::string lan_mac;
  uint16_t lan_port_id = 0;
  uint64_t generation = 0;
  uint64_t mempool_in_use = 0, mempool_size = 0;
  uint64_t frag_mbufs_in_use = 0;  // of the fragmentation pools (dataplane/ipv4_fragment.hpp)
  uint64_t arp_replies = 0, arp_requests = 0, neighbors = 0;
  uint64_t arp_held_sent = 0;  // packets control sent to a LAN host once ARP answered (Neighbours::held_sent)
  uint64_t arp_ignored = 0;    // ARP claiming our or a static neighbour's address, or from a group MAC
};

// Sums every worker's counters (relaxed reads; workers keep running).
CounterTotals sum_counters(const std::vector<WorkerContext*>& workers);

std::string counters_json(const StatsView& v);
std::string counters_text(const StatsView& v);
std::string links_json(const StatsView& v);
std::string links_text(const StatsView& v);
std::string classes_json(const StatsView& v);
std::string classes_text(const StatsView& v);

}  // namespace wansteer
