// MetricsExporter: renders MetricsSnapshot as Prometheus metric families and serves them (prometheus-cpp's text
// format) beside the status page on one HttpServer. The HTTP threads only ever touch State, never control state.
#include "control/operations/metrics.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>

#include <fmt/format.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "control/operations/http_server.hpp"
#include "control/operations/snapshot_handover.hpp"
#include "control/operations/status_snapshot.hpp"

namespace wansteer {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

using Labels = std::vector<ClientMetric::Label>;

// Builds one family at a time; add() appends a sample with its labels.
class FamilyBuilder {
 public:
  FamilyBuilder(std::vector<MetricFamily>& out, std::string name, std::string help, MetricType type)
      : out_(out), index_(out.size()) {
    MetricFamily& f = out.emplace_back();
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
  }
  void add(Labels labels, double v) {
    ClientMetric& m = family().metric.emplace_back();
    m.label = std::move(labels);
    if (family().type == MetricType::Counter)
      m.counter.value = v;
    else
      m.gauge.value = v;
  }
  // By index, not reference: other builders append to the same vector while this one is alive.
  MetricFamily& family() { return out_[index_]; }

 private:
  std::vector<MetricFamily>& out_;
  size_t index_;
};

uint64_t at_or_zero(const std::vector<uint64_t>& v, size_t i) { return i < v.size() ? v[i] : 0; }
double b(bool x) { return x ? 1.0 : 0.0; }

// Adds families to `out`; counter() and gauge() start one.
struct Families {
  std::vector<MetricFamily>& out;
  FamilyBuilder counter(const char* name, const char* help) {
    return FamilyBuilder(out, name, help, MetricType::Counter);
  }
  FamilyBuilder gauge(const char* name, const char* help) { return FamilyBuilder(out, name, help, MetricType::Gauge); }
};

// Per link: state, health, probes, port traffic.
void add_links(Families& fams, const MetricsSnapshot& s) {
  // --- links
  {
    auto state =
        fams.gauge("wansteer_link_state", "Link health state: 1 for the current state (up, degraded, down), else 0");
    auto up = fams.gauge("wansteer_link_up", "1 when the link can carry traffic (state up or degraded), else 0");
    auto admin = fams.gauge("wansteer_link_admin_up", "1 when the operator has the link up (wansteerctl link up|down)");
    auto info = fams.gauge("wansteer_link_info", "Always 1; the role label says whether the link is primary or backup");
    auto loss = fams.gauge("wansteer_link_loss_ratio", "Probe loss over the sliding window (0..1)");
    auto rtt = fams.gauge("wansteer_link_rtt_seconds", "Probe round-trip time, smoothed (EWMA)");
    auto rtt_max = fams.gauge("wansteer_link_rtt_max_seconds", "Largest probe round-trip time in the window");
    auto jitter = fams.gauge("wansteer_link_jitter_seconds", "Probe interarrival jitter (RFC 3550)");
    auto sent = fams.counter("wansteer_link_probes_sent_total", "Health probes sent over the link");
    auto lost = fams.counter("wansteer_link_probes_lost_total", "Health probes that got no reply in time");
    auto auth_failed = fams.counter("wansteer_link_stamp_auth_failed_total",
                                    "STAMP replies refused because their HMAC did not verify (authenticated mode)");
    auto rxp = fams.counter("wansteer_link_rx_packets_total", "Packets received on the link's port");
    auto rxb = fams.counter("wansteer_link_rx_bytes_total", "Bytes received on the link's port");
    auto txp = fams.counter("wansteer_link_tx_packets_total", "Packets sent on the link's port");
    auto txb = fams.counter("wansteer_link_tx_bytes_total", "Bytes sent on the link's port");
    for (const auto& l : s.links) {
      for (const char* st : {"up", "degraded", "down"}) state.add({{"link", l.name}, {"state", st}}, b(l.state == st));
      up.add({{"link", l.name}}, b(l.state != "down"));
      admin.add({{"link", l.name}}, b(l.admin_up));
      info.add({{"link", l.name}, {"role", l.role}}, 1.0);
      loss.add({{"link", l.name}}, l.loss_ratio);
      rtt.add({{"link", l.name}}, l.rtt_seconds);
      rtt_max.add({{"link", l.name}}, l.rtt_max_seconds);
      jitter.add({{"link", l.name}}, l.jitter_seconds);
      sent.add({{"link", l.name}}, static_cast<double>(l.probes_sent));
      lost.add({{"link", l.name}}, static_cast<double>(l.probes_lost));
      auth_failed.add({{"link", l.name}}, static_cast<double>(l.stamp_auth_failed));
      rxp.add({{"link", l.name}}, static_cast<double>(l.rx_packets));
      rxb.add({{"link", l.name}}, static_cast<double>(l.rx_bytes));
      txp.add({{"link", l.name}}, static_cast<double>(l.tx_packets));
      txb.add({{"link", l.name}}, static_cast<double>(l.tx_bytes));
    }
  }
  // --- DHCP leases (only links with address: dhcp have the series)
  if (std::any_of(s.links.begin(), s.links.end(), [](const auto& l) { return l.dhcp_lease_seconds_left; })) {
    auto left = fams.gauge("wansteer_link_dhcp_lease_seconds_left",
                           "Seconds until the link's DHCP lease expires (0: no lease, the link is down)");
    for (const auto& l : s.links)
      if (l.dhcp_lease_seconds_left) left.add({{"link", l.name}}, *l.dhcp_lease_seconds_left);
  }
  // --- data budgets (only metered links with a budget have the series)
  if (std::any_of(s.links.begin(), s.links.end(), [](const auto& l) { return l.budget; })) {
    auto total = fams.gauge("wansteer_link_budget_bytes", "The link's data budget per period (bytes, both ways)");
    auto used = fams.gauge("wansteer_link_budget_used_bytes", "Bytes the link carried (both ways) this period");
    auto end = fams.gauge("wansteer_link_budget_period_end_timestamp_seconds",
                          "Unix time the link's budget period ends (usage resets)");
    auto spent = fams.gauge("wansteer_link_budget_exhausted", "1 while the link's data budget is spent");
    for (const auto& l : s.links) {
      if (!l.budget) continue;
      total.add({{"link", l.name}}, static_cast<double>(l.budget->budget_bytes));
      used.add({{"link", l.name}}, static_cast<double>(l.budget->used_bytes));
      end.add({{"link", l.name}}, static_cast<double>(l.budget->period_end));
      spent.add({{"link", l.name}}, l.budget->exhausted ? 1.0 : 0.0);
    }
  }
}

// Per link and class: the egress shaper.
void add_egress(Families& fams, const MetricsSnapshot& s) {
  // --- egress shaper, per link and class
  {
    auto depth =
        fams.gauge("wansteer_egress_queue_depth_packets", "Packets waiting in the link's egress queue of the class");
    auto drops = fams.counter("wansteer_egress_drops_total", "Packets the link's egress shaper dropped, per class");
    for (const auto& l : s.links) {
      for (size_t c = 0; c < s.classes.size(); c++) {
        Labels lb{{"link", l.name}, {"class", s.classes[c].name}};
        depth.add(lb, static_cast<double>(at_or_zero(l.egress_queue_packets, c)));
        drops.add(lb, static_cast<double>(at_or_zero(l.egress_drops, c)));
      }
    }
  }
}

// Per class (and link): traffic, steering, drops.
void add_classes(Families& fams, const MetricsSnapshot& s) {
  // --- classes
  {
    auto pk = fams.counter("wansteer_class_link_packets_total", "Packets of the class sent over the link");
    auto by = fams.counter("wansteer_class_link_bytes_total", "Bytes of the class sent over the link");
    auto active = fams.gauge("wansteer_class_active_link", "1 when the class is steered to the link now, else 0");
    auto nolink =
        fams.counter("wansteer_class_no_link_drops_total", "Packets of the class dropped: no allowed link usable");
    auto backup = fams.counter("wansteer_class_backup_seconds_total", "Seconds the class has run on a backup link");
    auto fallback = fams.gauge("wansteer_class_sla_fallback",
                               "1 when no link meets the class's SLA and it runs on the best available link");
    for (const auto& c : s.classes) {
      for (size_t l = 0; l < s.links.size(); l++) {
        Labels lb{{"class", c.name}, {"link", s.links[l].name}};
        const MetricsSnapshot::Traffic t = l < c.per_link.size() ? c.per_link[l] : MetricsSnapshot::Traffic{};
        pk.add(lb, static_cast<double>(t.packets));
        by.add(lb, static_cast<double>(t.bytes));
        bool on = std::find(c.active_links.begin(), c.active_links.end(), s.links[l].name) != c.active_links.end();
        active.add(lb, b(on));
      }
      nolink.add({{"class", c.name}}, static_cast<double>(c.no_link_drops));
      backup.add({{"class", c.name}}, c.backup_seconds_total);
      fallback.add({{"class", c.name}}, b(c.sla_fallback));
    }
  }
  {
    auto f = fams.counter("wansteer_class_drops_total",
                          "Packets of the class dropped on the link, by reason (meter, shaper)");
    for (const auto& d : s.class_drops)
      f.add({{"class", d.cls}, {"link", d.link}, {"reason", d.reason}}, static_cast<double>(d.count));
  }
}

// Failovers by cause and their duration histogram.
void add_failovers(Families& fams, const MetricsSnapshot& s) {
  {
    auto f = fams.counter("wansteer_failovers_total", "Times a class moved from one link to another, by cause");
    for (const auto& e : s.failovers)
      f.add({{"class", e.cls}, {"from", e.from}, {"to", e.to}, {"cause", e.cause}}, static_cast<double>(e.count));
  }
  {
    FamilyBuilder h(fams.out, "wansteer_failover_duration_seconds",
                    "Failover duration: from detection to the first packet on the new link", MetricType::Histogram);
    ClientMetric& m = h.family().metric.emplace_back();
    const auto& src = s.failover_duration;
    uint64_t running = 0;
    for (size_t i = 0; i < src.bounds.size(); i++) {
      // Cumulative by definition; guard against a producer handing over a non-monotonic array.
      running = std::max(running, std::min(at_or_zero(src.cumulative, i), src.count));
      m.histogram.bucket.push_back({running, src.bounds[i]});
    }
    m.histogram.bucket.push_back({src.count, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = src.count;
    m.histogram.sample_sum = src.sum;
  }
}

// Per worker: packets, loops, cycles, flow cache.
void add_workers(Families& fams, const MetricsSnapshot& s) {
  // --- workers
  {
    auto pk = fams.counter("wansteer_worker_packets_total", "Packets the worker received, all ports");
    auto loops = fams.counter("wansteer_worker_loops_total", "Poll iterations of the worker");
    auto busy = fams.counter("wansteer_worker_busy_loops_total", "Poll iterations that moved at least one packet");
    auto bc = fams.counter("wansteer_worker_busy_cycles_total", "TSC cycles spent in iterations that moved packets");
    auto ic = fams.counter("wansteer_worker_idle_cycles_total", "TSC cycles spent in iterations that moved nothing");
    auto np = fams.counter("wansteer_worker_naps_total", "Naps the idle worker took (adaptive polling)");
    auto sc = fams.counter("wansteer_worker_sleep_cycles_total", "TSC cycles the worker spent napping when idle");
    auto wk = fams.counter("wansteer_worker_wakes_total",
                           "Sleeps until a packet (wake on arrival) by what ended them: reason=packet, kick "
                           "(control queued work), timeout (100 ms); each is also a nap");
    auto fe = fams.gauge("wansteer_flow_cache_entries", "Flows in the worker's flow cache");
    auto ev = fams.counter("wansteer_flow_cache_evictions_total", "Flows evicted from the worker's full flow cache");
    auto fl =
        fams.counter("wansteer_worker_fast_lane_packets_total",
                     "LAN packets the worker forwarded on its fast lane (cached IPv4 TCP/UDP flows, one tag at most)");
    auto wfl = fams.counter("wansteer_worker_wan_fast_lane_packets_total",
                            "WAN packets the worker forwarded on its WAN fast lane (replies to its NAT sessions)");
    auto ie = fams.counter("wansteer_worker_icmp_errors_total",
                           "ICMP errors (time exceeded, fragmentation needed) the worker sent or suppressed by "
                           "the rate limit");
    auto mss = fams.counter("wansteer_worker_tcp_mss_clamped_total",
                            "TCP SYNs whose MSS the worker lowered to a link's MTU - 40 (mss_clamp)");
    auto fr = fams.counter("wansteer_worker_ipv4_fragmented_packets_total",
                           "IPv4 packets over a link's MTU with DF clear the worker fragmented (fragment: true)");
    auto fs = fams.counter("wansteer_worker_ipv4_fragments_total", "IPv4 fragments the worker made of them");
    auto ns = fams.gauge("wansteer_nat_session_entries", "NAT sessions in the worker's table");
    auto nc = fams.gauge("wansteer_nat_session_capacity_entries", "Sessions the worker's NAT table holds at most");
    auto nm = fams.counter("wansteer_nat_sessions_total",
                           "NAT sessions the worker made (result=created) or timed out (result=expired)");
    auto nf = fams.counter("wansteer_nat_forward_packets_total",
                           "WAN packets port forwards let in (denied ones are drops inbound_forward_denied)");
    auto nh = fams.counter("wansteer_nat_hairpin_packets_total",
                           "LAN packets to a NAT link's address sent back to a LAN host (hairpin)");
    for (const auto& w : s.workers) {
      Labels lb{{"worker", std::to_string(w.id)}};
      ns.add(lb, static_cast<double>(w.nat_sessions));
      nc.add(lb, static_cast<double>(w.nat_capacity));
      nm.add({{"worker", std::to_string(w.id)}, {"result", "created"}}, static_cast<double>(w.nat_created));
      nm.add({{"worker", std::to_string(w.id)}, {"result", "expired"}}, static_cast<double>(w.nat_expired));
      nf.add(lb, static_cast<double>(w.nat_forward_hits));
      nh.add(lb, static_cast<double>(w.nat_hairpin));
      pk.add(lb, static_cast<double>(w.packets));
      loops.add(lb, static_cast<double>(w.loops));
      busy.add(lb, static_cast<double>(w.busy_loops));
      bc.add(lb, static_cast<double>(w.busy_cycles));
      ic.add(lb, static_cast<double>(w.idle_cycles));
      np.add(lb, static_cast<double>(w.naps));
      sc.add(lb, static_cast<double>(w.sleep_cycles));
      const std::string id = std::to_string(w.id);
      wk.add({{"worker", id}, {"reason", "packet"}}, static_cast<double>(w.wakes_by_packet));
      wk.add({{"worker", id}, {"reason", "kick"}}, static_cast<double>(w.wakes_by_kick));
      wk.add({{"worker", id}, {"reason", "timeout"}}, static_cast<double>(w.wakes_by_timeout));
      fe.add(lb, static_cast<double>(w.flow_cache_entries));
      ev.add(lb, static_cast<double>(w.flow_evictions));
      fl.add(lb, static_cast<double>(w.fast_lane));
      wfl.add(lb, static_cast<double>(w.wan_fast_lane));
      mss.add(lb, static_cast<double>(w.mss_clamped));
      fr.add(lb, static_cast<double>(w.ipv4_fragmented));
      fs.add(lb, static_cast<double>(w.ipv4_fragments));
      ie.add({{"worker", std::to_string(w.id)}, {"result", "sent"}}, static_cast<double>(w.icmp_errors_sent));
      ie.add({{"worker", std::to_string(w.id)}, {"result", "suppressed"}},
             static_cast<double>(w.icmp_errors_suppressed));
    }
  }
}

// The overlay to the hub, when the policy has one: session, handshake age, handshake events, messages.
void add_overlay(Families& fams, const MetricsSnapshot& s) {
  if (!s.overlay) return;
  const MetricsSnapshot::Overlay& o = *s.overlay;
  fams.gauge("wansteer_overlay_session_up", "1 while the overlay to the hub has a current keypair (carries traffic)")
      .add({}, b(o.session_up));
  if (o.last_handshake_age_seconds)
    fams.gauge("wansteer_overlay_last_handshake_age_seconds", "Seconds since the last completed handshake with the hub")
        .add({}, *o.last_handshake_age_seconds);
  {
    auto f = fams.counter("wansteer_overlay_handshakes_total",
                          "Handshake events of the overlay session, by event (initiations and responses sent, "
                          "completed, rekeys, cookie replies sent, messages rejected, keypairs expired)");
    for (const auto& e : o.handshakes) f.add({{"event", e.label}}, static_cast<double>(e.count));
  }
  {
    auto f = fams.counter("wansteer_overlay_messages_total",
                          "Overlay messages: data sealed and opened, keepalives and handshake messages received, "
                          "received copies discarded as duplicates (duplicate:)");
    for (const auto& m : o.messages) f.add({{"direction", m.label}}, static_cast<double>(m.count));
  }
  if (o.paths.empty()) return;
  auto up = fams.gauge("wansteer_overlay_path_up", "1 while the overlay path over the link answers probes to the hub");
  auto loss =
      fams.gauge("wansteer_overlay_path_loss_ratio",
                 "Loss of probes through the overlay to the hub's inner address, by the link they left on (0..1)");
  auto rtt = fams.gauge("wansteer_overlay_path_rtt_seconds", "Round-trip time through the overlay to the hub (EWMA)");
  auto jitter = fams.gauge("wansteer_overlay_path_jitter_seconds", "Jitter through the overlay to the hub (RFC 3550)");
  for (const auto& p : o.paths) {
    up.add({{"link", p.link}}, b(p.up));
    loss.add({{"link", p.link}}, p.loss_ratio);
    rtt.add({{"link", p.link}}, p.rtt_seconds);
    jitter.add({{"link", p.link}}, p.jitter_seconds);
  }
}

// Drops by reason, policy, mempool, ARP, build.
void add_global(Families& fams, const MetricsSnapshot& s) {
  // --- global
  {
    auto f = fams.counter("wansteer_drops_total", "Packets dropped, by reason (see dataplane/drop_reasons.hpp)");
    for (const auto& d : s.drops) f.add({{"reason", d.reason}}, static_cast<double>(d.count));
  }
  fams.gauge("wansteer_policy_generation", "Generation of the running policy (1 at start, +1 per successful reload)")
      .add({}, static_cast<double>(s.policy_generation));
  {
    auto f = fams.counter("wansteer_policy_reloads_total", "Policy reloads (SIGHUP, wansteerctl reload), by result");
    f.add({{"result", "ok"}}, static_cast<double>(s.reloads_ok));
    f.add({{"result", "failed"}}, static_cast<double>(s.reloads_failed));
  }
  fams.gauge("wansteer_mempool_in_use_mbufs", "Packet buffers in use (allocated from the mempool)")
      .add({}, static_cast<double>(s.mempool_in_use));
  fams.gauge("wansteer_mempool_size_mbufs", "Packet buffers in the mempool")
      .add({}, static_cast<double>(s.mempool_size));
  fams.counter("wansteer_arp_requests_sent_total", "ARP requests the edge sent (for gateways and LAN hosts)")
      .add({}, static_cast<double>(s.arp.requests));
  fams.counter("wansteer_arp_replies_sent_total", "ARP replies the edge sent for its own addresses")
      .add({}, static_cast<double>(s.arp.replies));
  fams.counter("wansteer_arp_ignored_total",
               "ARP frames ignored: claiming the edge's or a static neighbour's address, or from a group or edge MAC")
      .add({}, static_cast<double>(s.arp.ignored));
  fams.counter("wansteer_arp_held_sent_total",
               "Packets for a LAN host that waited for its ARP answer (or for the workers' next table), then went out")
      .add({}, static_cast<double>(s.arp.held_sent));
  fams.gauge("wansteer_arp_held_packets", "Packets waiting now for a LAN host's ARP answer")
      .add({}, static_cast<double>(s.arp.held_now));
  fams.gauge("wansteer_lan_neighbor_entries", "LAN hosts the edge knows (learned by ARP and static)")
      .add({}, static_cast<double>(s.arp.neighbors));
  fams.gauge("wansteer_start_time_seconds", "Unix time the daemon started").add({}, s.start_time_seconds);
  fams.gauge("wansteer_build_info", "Always 1; the version label says which build runs")
      .add({{"version", s.version}}, 1.0);
}

}  // namespace

std::vector<MetricFamily> metric_families(const MetricsSnapshot& s) {
  std::vector<MetricFamily> out;
  Families f{out};
  add_links(f, s);
  add_egress(f, s);
  add_classes(f, s);
  add_failovers(f, s);
  add_workers(f, s);
  add_overlay(f, s);
  add_global(f, s);
  return out;
}

bool valid_listen_address(const std::string& addr, std::string* why) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    *why = fmt::format("\"{}\" is not HOST:PORT (e.g. 127.0.0.1:9469)", addr);
    return false;
  }
  std::string host = addr.substr(0, colon), port = addr.substr(colon + 1);
  if (host.front() == '[' ? host.back() != ']' : host.find(':') != std::string::npos) {
    *why = fmt::format("\"{}\": write an IPv6 address in brackets, e.g. [::1]:9469", addr);
    return false;
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    *why = fmt::format("\"{}\": port must be a number 0..65535", addr);
    return false;
  }
  return true;
}

// --- the hand-over between the HTTP threads and the control thread

struct MetricsExporter::State {
  SnapshotHandover<MetricsSnapshot> metrics;
  SnapshotHandover<StatusSnapshot> status;
  std::atomic<uint64_t> scrapes{0}, stale_scrapes{0};
};

namespace {

class SnapshotCollectable : public prometheus::Collectable {
 public:
  explicit SnapshotCollectable(std::shared_ptr<MetricsExporter::State> st) : st_(std::move(st)) {}

  std::vector<MetricFamily> Collect() const override {
    auto got = st_->metrics.fetch(std::chrono::milliseconds(MetricsExporter::kScrapeWaitMs));
    st_->scrapes.fetch_add(1, std::memory_order_relaxed);
    // A control thread busy for longer than the wait (a reload, a stop) must not fail the scrape.
    if (!got.fresh) st_->stale_scrapes.fetch_add(1, std::memory_order_relaxed);
    std::vector<MetricFamily> out = metric_families(got.snapshot ? *got.snapshot : MetricsSnapshot{});
    MetricFamily& f = out.emplace_back();
    f.name = "wansteer_exporter_stale_scrapes_total";
    f.help = "Scrapes answered with the previous snapshot because the control thread did not answer in time";
    f.type = MetricType::Counter;
    f.metric.emplace_back().counter.value = static_cast<double>(st_->stale_scrapes.load(std::memory_order_relaxed));
    return out;
  }

 private:
  std::shared_ptr<MetricsExporter::State> st_;
};

// The routes, each holding only what the HTTP threads may touch: the exporter's State and the collectable.
HttpServer::Routes routes(const std::shared_ptr<MetricsExporter::State>& st,
                          const std::shared_ptr<prometheus::Collectable>& collectable) {
  auto metrics = [collectable] {
    // The exposition format Prometheus asks for by default (text 0.0.4).
    return HttpServer::Response{200, "text/plain; version=0.0.4; charset=utf-8",
                                prometheus::TextSerializer().Serialize(collectable->Collect())};
  };
  auto status = [st](bool json) {
    auto got = st->status.fetch(std::chrono::milliseconds(MetricsExporter::kScrapeWaitMs));
    const StatusSnapshot none;  // control has not answered yet: the page says so by being empty
    const StatusSnapshot& s = got.snapshot ? *got.snapshot : none;
    return json ? HttpServer::Response{200, "application/json", status_json(s)}
                : HttpServer::Response{200, "text/html; charset=utf-8", status_html(s)};
  };
  return {{"/metrics", metrics},
          {"/", [status] { return status(false); }},
          {"/status", [status] { return status(false); }},
          {"/status.json", [status] { return status(true); }}};
}

}  // namespace

std::unique_ptr<MetricsExporter> MetricsExporter::start(const std::string& listen, std::string* error) {
  std::string why;
  if (!valid_listen_address(listen, &why)) {
    *error = "--metrics: " + why;
    return nullptr;
  }
  std::unique_ptr<MetricsExporter> e(new MetricsExporter());
  e->listen_ = listen;
  e->state_ = std::make_shared<State>();
  e->collectable_ = std::make_shared<SnapshotCollectable>(e->state_);
  // Two HTTP threads: Prometheus plus a person with a browser; each request waits on the control thread anyway.
  e->server_ = HttpServer::start(listen, 2, routes(e->state_, e->collectable_), &why);
  if (!e->server_) {
    *error = fmt::format("cannot serve metrics on {}: address in use or not available ({})", listen, why);
    return nullptr;
  }
  return e;
}

MetricsExporter::~MetricsExporter() {
  // Stop the HTTP threads first: a request in progress still holds state_ through its route.
  server_.reset();
}

bool MetricsExporter::serve_pending(const std::function<MetricsSnapshot()>& build) {
  return state_->metrics.serve_pending(build);
}

bool MetricsExporter::serve_status_pending(const std::function<StatusSnapshot()>& build) {
  return state_->status.serve_pending(build);
}

int MetricsExporter::port() const { return server_->port(); }

std::shared_ptr<prometheus::Collectable> MetricsExporter::collectable() const { return collectable_; }

}  // namespace wansteer
