// Per-worker counters: one writer (its worker), summed by control at read time. Never shared between workers.
#pragma once
#include <atomic>
#include <cstdint>

#include "dataplane/drop_reasons.hpp"
#include "dataplane/limits.hpp"

namespace wansteer {

// A counter with a single writer. Relaxed load+store (no locked RMW) so the worker pays a plain add;
// the atomic type lets control read it concurrently without a data race.
class Counter {
 public:
  void add(uint64_t n) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void inc() { add(1); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }
  void set(uint64_t v) { v_.store(v, std::memory_order_relaxed); }  // gauges (queue depth)

 private:
  std::atomic<uint64_t> v_{0};
};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

struct PortCounters {
  Counter rx_packets, rx_bytes, tx_packets, tx_bytes, drops;
};

struct ClassLinkCounters {
  Counter packets, bytes;
};

// Rate limit and shaper outcomes of one (class, link); only the link's owner worker writes them.
struct ClassLinkEgressCounters {
  Counter meter_conform;       // packets within the limit (or unlimited) that went on to the shaper/NIC
  Counter meter_exceed_drops;  // over the limit, dropped
  Counter meter_remarked;      // over the committed rate, DSCP re-marked and sent
  Counter blocked_drops;       // class blocked on this link (on_backup: block, or its data budget is spent)
  Counter queue_drops;         // shaper queue full (tail drop)
  Counter codel_drops;         // dropped at dequeue after waiting too long (CoDel-style, low classes)
  Counter timeout_drops;       // dropped at the head after the hard wait bound (any class, e.g. starved)
  Counter queue_depth;         // gauge: packets waiting in the shaper queue now
};

// dp: rw (owning worker only), cp: ro
struct alignas(64) WorkerCounters {
  PortCounters port[kMaxPorts];
  Counter drop[kDropReasonCount];
  ClassLinkCounters class_link[kMaxClasses][kMaxLinks];
  ClassLinkEgressCounters egress[kMaxClasses][kMaxLinks];
  // class_link: packets and bytes the NIC took (counted in tx_flush), so dropped packets never count there.
  // direct_tx: packets sent straight to tx staging on a direct route (egress would have let them through
  // unchanged), by the fast lane or the general path: control adds them to egress meter_conform.
  ClassLinkCounters direct_tx[kMaxClasses][kMaxLinks];
  Counter class_no_link[kMaxClasses];  // packets of a class dropped because no allowed link was usable
  Counter flow_hits, flow_misses, flow_inserts, flow_evictions, flow_expired;
  Counter flow_moves;     // cached flows re-steered because their link was withdrawn
  Counter flow_uncached;  // packets forwarded without a cache entry (table full even after eviction)
  Counter fast_lane;      // LAN packets forwarded by the fast lane (cached IPv4 flows), of flow_hits
  Counter wan_fast_lane;  // WAN packets forwarded by the WAN fast lane (replies to NAT sessions)
  Counter arp_replies_sent, icmp_echo_replies_sent, to_control;
  Counter icmp_errors_sent;        // time exceeded and fragmentation needed sent (dataplane/icmp_error.cpp)
  Counter icmp_errors_suppressed;  // errors not sent: over the worker's budget, or the pool was empty
  Counter mss_clamped;             // TCP SYNs whose MSS option was lowered to a link's MTU (dataplane/tcp_mss.cpp)
  Counter ipv4_fragmented, ipv4_fragments;  // packets over a link's MTU (DF clear) fragmented, fragments made
  Counter nat_sessions_created, nat_sessions_expired;  // NAT mappings made and timed out (dataplane/nat_*.cpp)
  Counter nat_forward_hits;  // WAN packets let in by a port forward (dataplane/nat_inbound.cpp)
  Counter nat_hairpin;       // LAN packets to a NAT link's address sent back to a LAN host (dataplane/nat_hairpin.cpp)
  // WireGuard overlay (dataplane/overlay/overlay_encap.cpp, overlay_decap.cpp): data messages sealed, data messages
  // opened, keepalives opened, handshake messages (types 1-3) separated out for control.
  Counter overlay_sealed, overlay_opened, overlay_keepalives_in, overlay_handshakes_in;
  // copies sent over a class's second overlay path (duplicate:), and copies not made (no mbuf, or over that link's
  // MTU): the original still left
  Counter overlay_duplicates, overlay_duplicates_skipped;
  // received: authentic messages whose counter the replay window had already taken (the second copy of a duplicated
  // packet, freed; not a drop reason). Per-core windows: caught only when both copies reach one core.
  Counter overlay_duplicates_discarded;
  Counter handoff_sent, handoff_received;  // packets passed to / taken from other workers (owner-core model)
  Counter loops, busy_loops;               // poll iterations, and those that moved at least one packet
  Counter busy_cycles, idle_cycles;        // TSC cycles spent in iterations that moved packets / found none
  Counter naps, sleep_cycles;              // adaptive polling: naps taken when idle, TSC cycles spent in them
  // Sleeps until a packet (dataplane/idle_wake.hpp), by what ended them: a doorbell, control's kick, the timeout.
  // Each is also one of `naps`.
  Counter wakes_by_packet, wakes_by_kick, wakes_by_timeout;
};

}  // namespace wansteer
