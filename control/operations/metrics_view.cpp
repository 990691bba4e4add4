// ControlPlane::metrics_snapshot: gathers what a Prometheus scrape reports from control state and the workers'
// per-core counters (summed here, on the control thread; workers never see a metric object).
#include <chrono>

#include <rte_mempool.h>

#include "control/operations/metrics.hpp"
#include "control/operations/overlay_show.hpp"
#include "control/runtime/control_plane.hpp"
#include "dataplane/worker.hpp"

#ifndef WANSTEER_VERSION
#define WANSTEER_VERSION "unknown"
#endif

namespace wansteer {

namespace {

// Taken during static initialisation, i.e. when the daemon starts.
const double kStartTimeSeconds =
    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

// Meter and shaper drops per (class, link), named like the drop reasons they are also counted under.
void add_class_drops(MetricsSnapshot* s, const Policy& p, const CounterTotals& t) {
  for (size_t c = 0; c < p.classes.size() && c < kMaxClasses; c++)
    for (size_t l = 0; l < p.links.size(); l++) {
      const EgressTotals& e = t.egress[c][l];
      const std::string& cls = p.classes[c].name;
      const std::string& link = p.links[l].name;
      s->class_drops.push_back({cls, link, "meter_exceed", e.meter_exceed_drops});
      s->class_drops.push_back({cls, link, "class_blocked", e.blocked_drops});
      s->class_drops.push_back({cls, link, "queue_full", e.queue_drops});
      s->class_drops.push_back({cls, link, "queue_delay", e.codel_drops});
      s->class_drops.push_back({cls, link, "queue_timeout", e.timeout_drops});
    }
}

// Each worker's own figures, read from its per-core counters.
void add_workers(MetricsSnapshot* s, const std::vector<WorkerContext*>& workers) {
  for (const WorkerContext* w : workers) {
    MetricsSnapshot::Worker& m = s->workers.emplace_back();
    const WorkerCounters& c = w->counters;
    m.id = w->worker_id;
    for (uint32_t p = 0; p < kMaxPorts; p++) m.packets += c.port[p].rx_packets.get();
    m.loops = c.loops.get();
    m.busy_loops = c.busy_loops.get();
    m.busy_cycles = c.busy_cycles.get();
    m.idle_cycles = c.idle_cycles.get();
    m.naps = c.naps.get();
    m.sleep_cycles = c.sleep_cycles.get();
    m.wakes_by_packet = c.wakes_by_packet.get();
    m.wakes_by_kick = c.wakes_by_kick.get();
    m.wakes_by_timeout = c.wakes_by_timeout.get();
    m.flow_cache_entries = w->flows ? w->flows->size() : 0;
    m.flow_evictions = c.flow_evictions.get();
    m.nat_sessions = w->nat ? w->nat->size() : 0;
    m.nat_capacity = w->nat ? w->nat->capacity() : 0;
    m.nat_created = c.nat_sessions_created.get();
    m.nat_expired = c.nat_sessions_expired.get();
    m.nat_forward_hits = c.nat_forward_hits.get();
    m.nat_hairpin = c.nat_hairpin.get();
    m.fast_lane = c.fast_lane.get();
    m.wan_fast_lane = c.wan_fast_lane.get();
    m.icmp_errors_sent = c.icmp_errors_sent.get();
    m.icmp_errors_suppressed = c.icmp_errors_suppressed.get();
    m.mss_clamped = c.mss_clamped.get();
    m.ipv4_fragmented = c.ipv4_fragmented.get();
    m.ipv4_fragments = c.ipv4_fragments.get();
  }
}

// The overlay's series (wansteer_overlay_*), from what `show overlay` reports.
MetricsSnapshot::Overlay overlay_metrics(const OverlayView& o, const Policy& p) {
  MetricsSnapshot::Overlay m;
  m.session_up = o.session;
  if (overlay_handshake_done(o)) m.last_handshake_age_seconds = static_cast<double>(o.last_handshake_age_ms) / 1000.0;
  const wg::SessionCounters& c = o.counters;
  m.handshakes = {{"initiation_sent", c.initiations_sent}, {"response_sent", c.responses_sent},
                  {"completed", c.handshakes_completed},   {"rekey", c.rekeys},
                  {"cookie_sent", c.cookie_replies_sent},  {"rejected", c.rejected},
                  {"keys_expired", c.keys_expired}};
  m.messages = {
      {"sealed", o.sealed}, {"opened", o.opened}, {"keepalive_in", o.keepalives_in}, {"handshake_in", o.handshakes_in}};
  for (size_t l = 0; l < p.links.size() && l < kMaxLinks; l++) {
    const OverlayPathView& v = o.paths[l];
    if (!v.probing) continue;
    m.paths.push_back(
        {p.links[l].name, v.up, v.metrics.loss_pct / 100.0, v.metrics.rtt_ms / 1000.0, v.metrics.jitter_ms / 1000.0});
  }
  return m;
}

}  // namespace

MetricsSnapshot ControlPlane::metrics_snapshot() {
  MetricsSnapshot s;
  const DataplaneSnapshot* dp = publisher_.current();  // ours: control publishes it
  const size_t n_links = policy_.links.size(), n_classes = policy_.classes.size();

  const StatsView view = stats_view();   // link state and health as `show links` reports them
  const CounterTotals& t = view.totals;  // workers' counters, summed once (plus control's no_neighbor drops)
  for (size_t l = 0; l < n_links; l++) {
    MetricsSnapshot::Link& m = s.links.emplace_back();
    const LinkSpec& ls = policy_.links[l];
    m.name = ls.name;
    m.role = ls.role == LinkRole::backup ? "backup" : "primary";
    m.admin_up = monitor_.admin_up(l);
    const LinkView& lv = view.links[l];
    m.state = lv.state;
    m.loss_ratio = lv.loss_pct / 100.0;
    m.rtt_seconds = lv.rtt_ms / 1000.0;
    m.rtt_max_seconds = lv.rtt_max_ms / 1000.0;
    m.jitter_seconds = lv.jitter_ms / 1000.0;
    m.probes_sent = lv.probes_sent;
    m.probes_lost = lv.probes_lost;
    m.stamp_auth_failed = lv.stamp_auth_failed;
    if (lv.dhcp) m.dhcp_lease_seconds_left = std::max(lv.dhcp->seconds_left, 0.0);
    if (const auto& b = lv.budget)
      m.budget = MetricsSnapshot::Link::Budget{b->budget_bytes, b->used_bytes, b->period_end, b->state == "exhausted"};
    const PortTotals& p = t.port[l + 1];
    m.rx_packets = p.rx_packets;
    m.rx_bytes = p.rx_bytes;
    m.tx_packets = p.tx_packets;
    m.tx_bytes = p.tx_bytes;
    m.egress_queue_packets.assign(n_classes, 0);
    m.egress_drops.assign(n_classes, 0);
    for (size_t c = 0; c < n_classes && c < kMaxClasses; c++) {
      const EgressTotals& e = t.egress[c][l];
      m.egress_queue_packets[c] = e.queue_depth;
      m.egress_drops[c] = e.queue_drops + e.codel_drops + e.timeout_drops;  // the shaper's own drops
    }
  }
  add_class_drops(&s, policy_, t);
  for (size_t c = 0; c < n_classes; c++) {
    MetricsSnapshot::Class& m = s.classes.emplace_back();
    m.name = policy_.classes[c].name;
    for (size_t l = 0; l < n_links; l++) m.per_link.push_back({t.class_link_packets[c][l], t.class_link_bytes[c][l]});
    m.no_link_drops = t.class_no_link[c];
    m.backup_seconds_total = steering_.backup_seconds(c);
    m.sla_fallback = steering_.plan().cls[c].fallback;
    if (dp != nullptr) {
      // The links flows of this class are steered to now: every distinct link in its pick slots.
      uint32_t seen = 0;
      for (uint8_t link : dp->steering.cls[c].pick_slot)
        if (link < n_links && !(seen >> link & 1u)) {
          seen |= 1u << link;
          m.active_links.push_back(policy_.links[link].name);
        }
    }
  }
  for (const auto& [key, n] : events_.failovers()) {
    const auto& [cls, from, to, cause] = key;
    s.failovers.push_back({cls, from, to, cause, n});
  }
  const FailoverTiming& ft = steering_.timing();
  s.failover_duration.bounds = kFailoverDurationBuckets;
  s.failover_duration.cumulative = ft.cumulative();
  s.failover_duration.sum = ft.sum_seconds();
  s.failover_duration.count = ft.count();
  add_workers(&s, rt_.workers);
  for (uint32_t r = 0; r < kDropReasonCount; r++) {
    uint64_t n = t.drop[r];
    s.drops.push_back({kDropReasonNames[r], n});
  }
  if (const OverlayView o = overlay_view(); o.enabled) {
    s.overlay = overlay_metrics(o, policy_);
    s.overlay->messages.push_back({"duplicate_discarded", t.overlay_duplicates_discarded});  // workers' count
  }
  s.policy_generation = policy_generation_;
  s.reloads_ok = reloads_ok_;
  s.reloads_failed = reloads_failed_;
  s.mempool_in_use = rte_mempool_in_use_count(rt_.pool);
  s.mempool_size = rt_.pool->size;
  s.arp = {neighbours_.arp_requests(), neighbours_.arp_replies(), neighbours_.arp_ignored(),
           neighbours_.held_sent(),    neighbours_.held(),        neighbours_.lan_count()};
  s.version = WANSTEER_VERSION;
  s.start_time_seconds = kStartTimeSeconds;
  return s;
}

}  // namespace wansteer
