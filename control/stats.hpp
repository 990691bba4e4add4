// Counter totals: per-worker counters summed at read time, and their rendering as JSON and as text tables.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "control/policy.hpp"
#include "dataplane/counters.hpp"

namespace wansteer {

struct WorkerContext;

struct PortTotals {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0, drops = 0;
};

// Sum of ClassLinkEgressCounters over workers (only the link's owner writes non-zero values).
struct EgressTotals {
  uint64_t meter_conform = 0, meter_exceed_drops = 0, meter_remarked = 0, blocked_drops = 0, queue_drops = 0,
           codel_drops = 0, queue_depth = 0;
};

struct CounterTotals {
  PortTotals port[kMaxPorts];
  uint64_t drop[kDropReasonCount] = {};
  uint64_t class_link_packets[kMaxClasses][kMaxLinks] = {};
  uint64_t class_link_bytes[kMaxClasses][kMaxLinks] = {};
  uint64_t class_no_link[kMaxClasses] = {};
  EgressTotals egress[kMaxClasses][kMaxLinks];
  uint64_t handoff_sent = 0, handoff_received = 0;
  uint64_t flow_entries = 0, flow_hits = 0, flow_misses = 0, flow_inserts = 0, flow_evictions = 0,
           flow_expired = 0, flow_moves = 0, flow_uncached = 0;
  uint64_t icmp_echo_replies = 0, to_control = 0, loops = 0, busy_loops = 0;
};

// What control knows about each link, for display.
struct LinkView {
  bool admin_up = true;
  bool gateway_resolved = false;
  std::string gateway_mac;
  std::string own_mac;
  uint16_t port_id = 0;
};

struct StatsView {
  const Policy* policy = nullptr;
  CounterTotals totals;
  std::vector<LinkView> links;
  std::string lan_mac;
  uint16_t lan_port_id = 0;
  uint64_t generation = 0;
  uint64_t mempool_in_use = 0, mempool_size = 0;
  uint64_t arp_replies = 0, arp_requests = 0, neighbors = 0;
};

// Sums every worker's counters (relaxed reads; workers keep running).
CounterTotals sum_counters(const std::vector<WorkerContext*>& workers);

std::string counters_json(const StatsView& v);
std::string counters_text(const StatsView& v);
std::string links_json(const StatsView& v);
std::string links_text(const StatsView& v);

}  // namespace wansteer
