// Prometheus exporter: MetricsSnapshot (plain numbers the control thread gathers) and MetricsExporter, which
// serves it over HTTP (/metrics) with the status page (/status, /status.json), asking the control thread for a
// fresh snapshot at every request.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/steering/failover_timing.hpp"  // kFailoverDurationBuckets

namespace prometheus {
struct MetricFamily;
class Collectable;
}  // namespace prometheus

namespace wansteer {

class HttpServer;
struct StatusSnapshot;

inline constexpr const char* kDefaultMetricsListen = "127.0.0.1:9469";

// Everything a scrape reports, as plain values (no prometheus types: the control thread fills it, the HTTP
// thread renders it). Series for every configured link and class are emitted even when their values are zero.
struct MetricsSnapshot {
  struct Link {
    std::string name;
    std::string role = "primary";  // "primary" | "backup"
    std::string state = "down";    // "up" | "degraded" | "down"
    bool admin_up = false;
    double loss_ratio = 0, rtt_seconds = 0, rtt_max_seconds = 0, jitter_seconds = 0;
    uint64_t probes_sent = 0, probes_lost = 0, stamp_auth_failed = 0;
    uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
    std::vector<uint64_t> egress_queue_packets;     // per class (index = classes order); missing entries read 0
    std::vector<uint64_t> egress_drops;             // per class: dropped by this link's shaper
    std::optional<double> dhcp_lease_seconds_left;  // address: dhcp links only; 0 without a lease
    struct Budget {
      uint64_t budget_bytes = 0, used_bytes = 0;
      int64_t period_end = 0;  // unix seconds
      bool exhausted = false;
    };
    std::optional<Budget> budget;  // metered links with a data budget only
  };
  struct Traffic {
    uint64_t packets = 0, bytes = 0;
  };
  struct Class {
    std::string name;
    std::vector<Traffic> per_link;  // index = links order; missing entries read 0
    uint64_t no_link_drops = 0;     // dropped because no allowed link was usable
    double backup_seconds_total = 0;
    std::vector<std::string> active_links;  // the links the class is steered to now
    bool sla_fallback = false;              // no link meets the SLA: running on the best available
  };
  struct ClassDrop {  // meter and shaper drops
    std::string cls, link, reason;
    uint64_t count = 0;
  };
  struct Failover {
    std::string cls, from, to, cause;
    uint64_t count = 0;
  };
  struct Histogram {
    std::vector<double> bounds = kFailoverDurationBuckets;  // upper bounds, ascending (+Inf implied)
    std::vector<uint64_t> cumulative = std::vector<uint64_t>(kFailoverDurationBuckets.size(), 0);
    double sum = 0;
    uint64_t count = 0;  // also the +Inf bucket
  };
  struct Worker {
    unsigned id = 0;
    uint64_t packets = 0;  // received, all ports
    uint64_t loops = 0, busy_loops = 0, busy_cycles = 0, idle_cycles = 0;
    uint64_t flow_cache_entries = 0, flow_evictions = 0;
    uint64_t nat_sessions = 0, nat_capacity = 0, nat_created = 0, nat_expired = 0;  // the worker's NAT table
    uint64_t nat_forward_hits = 0, nat_hairpin = 0;             // packets through port forwards, LAN packets hairpinned
    uint64_t wan_fast_lane = 0;                                 // WAN replies forwarded by the WAN fast lane
    uint64_t fast_lane = 0;                                     // LAN packets forwarded by the fast lane
    uint64_t icmp_errors_sent = 0, icmp_errors_suppressed = 0;  // ICMP errors sent, and held back by the budget
    uint64_t mss_clamped = 0;                                   // TCP SYNs whose MSS was lowered to a link's MTU
    uint64_t ipv4_fragmented = 0, ipv4_fragments = 0;           // packets fragmented to fit a link, fragments made
    uint64_t naps = 0, sleep_cycles = 0;                        // adaptive polling: naps when idle, TSC cycles asleep
    uint64_t wakes_by_packet = 0, wakes_by_kick = 0, wakes_by_timeout = 0;  // sleeps until a packet: what ended them
  };
  struct Drop {
    std::string reason;
    uint64_t count = 0;
  };
  struct Overlay {  // the WireGuard overlay to the hub (issue 13)
    bool session_up = false;
    std::optional<double> last_handshake_age_seconds;  // only once a handshake has completed
    struct Count {
      std::string label;
      uint64_t count = 0;
    };
    std::vector<Count> handshakes;  // by event: initiation_sent, response_sent, completed, rekey, cookie_sent, ...
    std::vector<Count> messages;    // by direction: sealed, opened, keepalive_in, handshake_in
    struct Path {                   // the tunnel over one link, as its probes to the hub's inner address measure it
      std::string link;
      bool up = false;
      double loss_ratio = 0, rtt_seconds = 0, jitter_seconds = 0;
    };
    std::vector<Path> paths;  // while paths are probed
  };

  std::vector<Link> links;
  std::vector<Class> classes;
  std::vector<ClassDrop> class_drops;
  std::vector<Failover> failovers;
  Histogram failover_duration;
  std::vector<Worker> workers;
  std::vector<Drop> drops;         // global, every reason of dataplane/drop_reasons.hpp
  std::optional<Overlay> overlay;  // only when the policy has an overlay
  uint64_t policy_generation = 0, reloads_ok = 0, reloads_failed = 0;
  uint64_t mempool_in_use = 0, mempool_size = 0;
  struct Arp {                           // the LAN side's neighbours (control/runtime/neighbours.hpp)
    uint64_t requests = 0, replies = 0;  // ARP frames the edge sent
    uint64_t ignored = 0;                // claimed the edge's or a static neighbour's address, or from a group MAC
    uint64_t held_sent = 0;              // packets that waited for their host's answer, then went out
    uint64_t held_now = 0, neighbors = 0;
  } arp;
  std::string version;
  double start_time_seconds = 0;  // Unix time the daemon started
};

// The metric families of one snapshot, in exposition order (what a scrape returns).
std::vector<prometheus::MetricFamily> metric_families(const MetricsSnapshot& s);

// Checks a listen address "HOST:PORT" or "[V6]:PORT"; false with *why when it is not one.
bool valid_listen_address(const std::string& addr, std::string* why);

// Serves /metrics, and the status page at / and /status (HTML) and /status.json, on `listen`; read-only (GET,
// HEAD). The HTTP thread never reads control state: a request raises a request and waits (at most kScrapeWait)
// until the control thread, in serve_pending() / serve_status_pending(), builds and hands over a snapshot; on
// timeout it reports the last snapshot delivered.
class MetricsExporter {
 public:
  static constexpr int kScrapeWaitMs = 200;

  // Binds `listen` ("127.0.0.1:9469"); nullptr with *error (naming the address) when it cannot.
  static std::unique_ptr<MetricsExporter> start(const std::string& listen, std::string* error);
  ~MetricsExporter();

  // Control thread, every tick: when a scrape is waiting, calls build() and hands its result over.
  // Returns true when it built one. Cheap (one atomic exchange) when nobody is scraping.
  bool serve_pending(const std::function<MetricsSnapshot()>& build);
  // The same for the status page: builds a StatusSnapshot when a page request waits.
  bool serve_status_pending(const std::function<StatusSnapshot()>& build);

  // The port actually bound (useful with port 0).
  int port() const;
  const std::string& listen() const { return listen_; }
  // The collectable the HTTP server calls (tests call it directly).
  std::shared_ptr<prometheus::Collectable> collectable() const;

  struct State;  // shared between the HTTP threads and the control thread (metrics.cpp)

 private:
  MetricsExporter() = default;
  std::string listen_;
  std::shared_ptr<State> state_;
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::unique_ptr<HttpServer> server_;  // last: destroyed first, so no request outlives state_
};

}  // namespace wansteer
