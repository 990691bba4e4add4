// Rendering of counters for the control socket, the exit summary and --final-stats: text tables by fmt, JSON by
// nlohmann::json (escaped and well-formed whatever a name holds).
#include "control/operations/stats.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/budget/budget_period.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

CounterTotals sum_counters(const std::vector<WorkerContext*>& workers) {
  CounterTotals t;
  for (const WorkerContext* w : workers) {
    const WorkerCounters& c = w->counters;
    for (uint32_t p = 0; p < kMaxPorts; p++) {
      t.port[p].rx_packets += c.port[p].rx_packets.get();
      t.port[p].rx_bytes += c.port[p].rx_bytes.get();
      t.port[p].tx_packets += c.port[p].tx_packets.get();
      t.port[p].tx_bytes += c.port[p].tx_bytes.get();
      t.port[p].drops += c.port[p].drops.get();
    }
    for (uint32_t r = 0; r < kDropReasonCount; r++) t.drop[r] += c.drop[r].get();
    for (uint32_t k = 0; k < kMaxClasses; k++) {
      for (uint32_t l = 0; l < kMaxLinks; l++) {
        const uint64_t direct = c.direct_tx[k][l].packets.get();
        t.class_link_packets[k][l] += c.class_link[k][l].packets.get();  // transmitted (counted by tx_flush)
        t.class_link_bytes[k][l] += c.class_link[k][l].bytes.get();
        const ClassLinkEgressCounters& e = c.egress[k][l];
        EgressTotals& et = t.egress[k][l];
        et.meter_conform += e.meter_conform.get() + direct;
        et.meter_exceed_drops += e.meter_exceed_drops.get();
        et.meter_remarked += e.meter_remarked.get();
        et.blocked_drops += e.blocked_drops.get();
        et.queue_drops += e.queue_drops.get();
        et.codel_drops += e.codel_drops.get();
        et.timeout_drops += e.timeout_drops.get();
        et.queue_depth += e.queue_depth.get();
      }
      t.class_no_link[k] += c.class_no_link[k].get();
    }
    t.flow_hits += c.flow_hits.get();
    t.flow_misses += c.flow_misses.get();
    t.flow_inserts += c.flow_inserts.get();
    t.flow_evictions += c.flow_evictions.get();
    t.flow_expired += c.flow_expired.get();
    t.flow_moves += c.flow_moves.get();
    t.flow_uncached += c.flow_uncached.get();
    t.fast_lane += c.fast_lane.get();
    t.wan_fast_lane += c.wan_fast_lane.get();
    t.icmp_echo_replies += c.icmp_echo_replies_sent.get();
    t.icmp_errors_sent += c.icmp_errors_sent.get();
    t.icmp_errors_suppressed += c.icmp_errors_suppressed.get();
    t.mss_clamped += c.mss_clamped.get();
    t.overlay_sealed += c.overlay_sealed.get();
    t.overlay_opened += c.overlay_opened.get();
    t.overlay_keepalives_in += c.overlay_keepalives_in.get();
    t.overlay_handshakes_in += c.overlay_handshakes_in.get();
    t.overlay_duplicates += c.overlay_duplicates.get();
    t.overlay_duplicates_skipped += c.overlay_duplicates_skipped.get();
    t.overlay_duplicates_discarded += c.overlay_duplicates_discarded.get();
    t.ipv4_fragmented += c.ipv4_fragmented.get();
    t.ipv4_fragments += c.ipv4_fragments.get();
    t.to_control += c.to_control.get();
    t.handoff_sent += c.handoff_sent.get();
    t.handoff_received += c.handoff_received.get();
    t.nat_forward_hits += c.nat_forward_hits.get();
    t.nat_hairpin += c.nat_hairpin.get();
    t.loops += c.loops.get();
    t.busy_loops += c.busy_loops.get();
    t.busy_cycles += c.busy_cycles.get();
    t.idle_cycles += c.idle_cycles.get();
    t.naps += c.naps.get();
    t.sleep_cycles += c.sleep_cycles.get();
    t.wakes_by_packet += c.wakes_by_packet.get();
    t.wakes_by_kick += c.wakes_by_kick.get();
    t.wakes_by_timeout += c.wakes_by_timeout.get();
    if (w->flows) t.flow_entries += w->flows->size();
  }
  return t;
}

namespace {

using Json = nlohmann::ordered_json;  // keys in the order written: people read these, and older tools diffed them

// Rates and times carry three decimals (loss to 0.001 %, RTT to the microsecond): more digits are noise.
double milli(double x) { return std::round(x * 1000.0) / 1000.0; }

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json port_json(const PortTotals& p) {
  return Json{{"rx_packets", p.rx_packets},
              {"rx_bytes", p.rx_bytes},
              {"tx_packets", p.tx_packets},
              {"tx_bytes", p.tx_bytes},
              {"drops", p.drops}};
}

Json target_json(const LinkView::Target& tg) {
  return Json{{"address", tg.address},
              {"kind", tg.kind},
              {"loss_pct", milli(tg.loss_pct)},
              {"fwd_loss_pct", milli(tg.fwd_loss_pct)},
              {"rev_loss_pct", milli(tg.rev_loss_pct)},
              {"rtt_ms", milli(tg.rtt_ms)},
              {"jitter_ms", milli(tg.jitter_ms)},
              {"samples", tg.samples}};
}

// One link for `show links` and `show counters`: its settings from the policy, then what control sees now.
Json link_json(const Policy& pol, size_t l, const LinkView& lv) {
  const LinkSpec& spec = pol.links[l];
  Json allowed_for = Json::array();
  for (const ClassSpec& cls : pol.classes)
    for (uint8_t a : cls.links)
      if (a == l) allowed_for.push_back(cls.name);
  Json targets = Json::array();
  for (const LinkView::Target& tg : lv.targets) targets.push_back(target_json(tg));
  return Json{{"admin", lv.admin_up ? "up" : "down"},
              {"role", spec.role == LinkRole::backup ? "backup" : "primary"},
              {"gateway_resolved", lv.gateway_resolved},
              {"gateway_mac", lv.gateway_mac},
              {"mac", lv.own_mac},
              {"port_id", lv.port_id},
              {"allowed_for", std::move(allowed_for)},
              {"capacity_up_bps", spec.capacity_up_bps},
              {"capacity_down_bps", spec.capacity_down_bps},
              {"shaping", spec.capacity_up_bps != 0 && spec.shaping},
              {"state", lv.state},
              {"cause", lv.cause},
              {"probing", lv.probing},
              {"loss_pct", milli(lv.loss_pct)},
              {"fwd_loss_pct", milli(lv.fwd_loss_pct)},
              {"rev_loss_pct", milli(lv.rev_loss_pct)},
              {"rtt_ms", milli(lv.rtt_ms)},
              {"rtt_max_ms", milli(lv.rtt_max_ms)},
              {"jitter_ms", milli(lv.jitter_ms)},
              {"probes_sent", lv.probes_sent},
              {"probes_lost", lv.probes_lost},
              {"probe_replies", lv.probe_replies},
              {"probe_tx_bytes", lv.probe_tx_bytes},
              {"probe_rx_bytes", lv.probe_rx_bytes},
              {"stamp_auth_failed", lv.stamp_auth_failed},
              {"probe_interval_ms", lv.probe_interval_ms},
              {"targets", std::move(targets)}};
}

// The members shared by `show links` and `show counters`: lan_mac, lan_port_id and links, added to `j`.
void add_links_members(const StatsView& v, Json& j) {
  const Policy& pol = *v.policy;
  j["lan_mac"] = v.lan_mac;
  j["lan_port_id"] = v.lan_port_id;
  Json links = Json::object();
  for (size_t l = 0; l < pol.links.size() && l < v.links.size(); l++)
    links[pol.links[l].name] = link_json(pol, l, v.links[l]);
  for (size_t l = 0; l < pol.links.size() && l < v.links.size(); l++)
    if (const auto& d = v.links[l].dhcp)  // an infinite lease's seconds_left is null (JSON has no infinity)
      links[pol.links[l].name]["dhcp"] =
          Json{{"state", d->state},
               {"address", d->address},
               {"gateway", d->gateway},
               {"server", d->server},
               {"seconds_left", std::isinf(d->seconds_left) ? Json(nullptr) : Json(d->seconds_left)}};
  for (size_t l = 0; l < pol.links.size() && l < v.links.size(); l++)
    if (const auto& b = v.links[l].budget)
      links[pol.links[l].name]["budget"] = Json{{"used_bytes", b->used_bytes},
                                                {"budget_bytes", b->budget_bytes},
                                                {"period", b->period},
                                                {"period_start", b->period_start},
                                                {"period_end", b->period_end},
                                                {"state", b->state},
                                                {"period_end_utc", utc_time_str(b->period_end)}};
  j["links"] = std::move(links);
}

Json egress_json(const CounterTotals& t, size_t c, size_t l) {
  const EgressTotals& e = t.egress[c][l];
  return Json{{"packets", t.class_link_packets[c][l]}, {"bytes", t.class_link_bytes[c][l]},
              {"meter_conform", e.meter_conform},      {"meter_exceed_drops", e.meter_exceed_drops},
              {"meter_remarked", e.meter_remarked},    {"blocked_drops", e.blocked_drops},
              {"queue_drops", e.queue_drops},          {"codel_drops", e.codel_drops},
              {"timeout_drops", e.timeout_drops},      {"queue_depth", e.queue_depth}};
}

Json class_counters_json(const Policy& pol, const CounterTotals& t) {
  Json classes = Json::object();
  for (size_t c = 0; c < pol.classes.size(); c++) {
    Json links = Json::object();
    for (size_t l = 0; l < pol.links.size(); l++) links[pol.links[l].name] = egress_json(t, c, l);
    classes[pol.classes[c].name] = Json{{"links", std::move(links)}, {"no_link_drops", t.class_no_link[c]}};
  }
  return classes;
}

}  // namespace

std::string counters_json(const StatsView& v) {
  const Policy& pol = *v.policy;
  const CounterTotals& t = v.totals;
  Json ports = Json::object();
  ports["lan"] = port_json(t.port[0]);
  for (size_t l = 0; l < pol.links.size(); l++) ports[pol.links[l].name] = port_json(t.port[l + 1]);
  Json drops = Json::object();
  for (uint32_t r = 0; r < kDropReasonCount; r++) drops[kDropReasonNames[r]] = t.drop[r];
  Json j{{"generation", v.generation},
         {"ports", std::move(ports)},
         {"classes", class_counters_json(pol, t)},
         {"drops", std::move(drops)}};
  j["flows"] = Json{{"entries", t.flow_entries},       {"hits", t.flow_hits},           {"misses", t.flow_misses},
                    {"inserts", t.flow_inserts},       {"evictions", t.flow_evictions}, {"expired", t.flow_expired},
                    {"moves", t.flow_moves},           {"uncached", t.flow_uncached},   {"fast_lane", t.fast_lane},
                    {"wan_fast_lane", t.wan_fast_lane}};
  j["control"] = Json{{"arp_replies", v.arp_replies},
                      {"arp_requests", v.arp_requests},
                      {"arp_held_sent", v.arp_held_sent},
                      {"arp_ignored", v.arp_ignored},
                      {"neighbors", v.neighbors},
                      {"icmp_echo_replies", t.icmp_echo_replies},
                      {"icmp_errors_sent", t.icmp_errors_sent},
                      {"icmp_errors_suppressed", t.icmp_errors_suppressed},
                      {"handed_to_control", t.to_control}};
  j["workers"] = Json{{"loops", t.loops},
                      {"busy_loops", t.busy_loops},
                      {"busy_cycles", t.busy_cycles},
                      {"idle_cycles", t.idle_cycles},
                      {"handoff_sent", t.handoff_sent},
                      {"handoff_received", t.handoff_received},
                      {"naps", t.naps},
                      {"sleep_cycles", t.sleep_cycles},
                      {"wakes_by_packet", t.wakes_by_packet},
                      {"wakes_by_kick", t.wakes_by_kick},
                      {"wakes_by_timeout", t.wakes_by_timeout}};
  add_links_members(v, j);
  j["mempool"] = Json{{"in_use", v.mempool_in_use}, {"size", v.mempool_size}};
  j["tcp"] = Json{{"mss_clamped", t.mss_clamped}};
  // new keys go at the end, where older tools ignore them
  j["nat"] = Json{{"forward_hits", t.nat_forward_hits}, {"hairpin", t.nat_hairpin}};
  j["fragmentation"] =
      Json{{"packets", t.ipv4_fragmented}, {"fragments", t.ipv4_fragments}, {"mbufs_in_use", v.frag_mbufs_in_use}};
  j["overlay"] = Json{{"sealed", t.overlay_sealed},
                      {"opened", t.overlay_opened},
                      {"keepalives_in", t.overlay_keepalives_in},
                      {"handshakes_in", t.overlay_handshakes_in},
                      {"duplicates", t.overlay_duplicates},
                      {"duplicates_skipped", t.overlay_duplicates_skipped},
                      {"duplicates_discarded", t.overlay_duplicates_discarded}};
  return dump(j);
}

std::string links_json(const StatsView& v) {
  Json j = Json::object();
  add_links_members(v, j);
  return dump(j);
}

std::string links_text(const StatsView& v) {
  const Policy& pol = *v.policy;
  std::string s =
      fmt::format("{:<10} {:<9} {:<6} {:<8} {:>7} {:>9} {:>9} {:>10} {:<16} {:<18} {}\n", "LINK", "STATE", "ADMIN",
                  "ROLE", "LOSS%", "RTT ms", "JITTER", "PROBES", "GATEWAY", "GATEWAY MAC", "CAUSE");
  for (size_t l = 0; l < pol.links.size() && l < v.links.size(); l++) {
    const LinkView& lv = v.links[l];
    uint32_t gw = pol.links[l].gateway;
    s +=
        fmt::format("{:<10} {:<9} {:<6} {:<8} {:>7.2f} {:>9.2f} {:>9.2f} {:>10} {:<16} {:<18} {}\n", pol.links[l].name,
                    lv.state, lv.admin_up ? "up" : "down", pol.links[l].role == LinkRole::backup ? "backup" : "primary",
                    lv.loss_pct, lv.rtt_ms, lv.jitter_ms, lv.probing ? fmt::format("{}", lv.probes_sent) : "off",
                    fmt::format("{}.{}.{}.{}", gw >> 24, (gw >> 16) & 255, (gw >> 8) & 255, gw & 255),
                    lv.gateway_resolved ? lv.gateway_mac : "(resolving)", lv.cause);
  }
  for (size_t l = 0; l < pol.links.size() && l < v.links.size(); l++)
    if (const auto& b = v.links[l].budget)
      s += fmt::format("{}: budget {}, used {} of {} ({:.1f} %), {} period ends {}\n", pol.links[l].name, b->state,
                       size_str(b->used_bytes), size_str(b->budget_bytes),
                       b->budget_bytes ? 100.0 * static_cast<double>(b->used_bytes) / b->budget_bytes : 0.0, b->period,
                       utc_time_str(b->period_end));
  for (size_t l = 0; l < pol.links.size() && l < v.links.size(); l++) {
    const auto& d = v.links[l].dhcp;
    if (!d) continue;
    if (d->address.empty())
      s += fmt::format("{}: dhcp {}, no lease\n", pol.links[l].name, d->state);
    else
      s += fmt::format("{}: dhcp {}, lease {} gateway {} server {}, expires in {}\n", pol.links[l].name, d->state,
                       d->address, d->gateway, d->server,
                       std::isinf(d->seconds_left) ? "never" : fmt::format("{:.0f} s", d->seconds_left));
  }
  return s;
}

std::string classes_json(const StatsView& v) {
  const Policy& pol = *v.policy;
  Json j = Json::object();
  for (size_t c = 0; c < pol.classes.size() && c < v.classes.size(); c++) {
    const ClassView& cv = v.classes[c];
    j[pol.classes[c].name] = Json{{"links", cv.links},
                                  {"fallback", cv.fallback},
                                  {"sla", cv.sla},
                                  {"max_loss_pct", cv.max_loss_pct},
                                  {"max_rtt_ms", cv.max_rtt_ms},
                                  {"max_jitter_ms", cv.max_jitter_ms},
                                  {"sla_ok", cv.sla_ok},
                                  {"backup_seconds", milli(cv.backup_seconds)},
                                  {"no_link_drops", v.totals.class_no_link[c]}};
    if (pol.overlay.enabled) j[pol.classes[c].name]["overlay_links"] = cv.overlay_links;  // new keys at the end
  }
  return dump(j);
}

std::string classes_text(const StatsView& v) {
  const Policy& pol = *v.policy;
  std::string s = fmt::format("{:<12} {:<16} {:<9} {:<26} {}\n", "CLASS", "NOW ON", "FALLBACK", "SLA (loss/rtt/jitter)",
                              "LINKS MEETING SLA");
  for (size_t c = 0; c < pol.classes.size() && c < v.classes.size(); c++) {
    const ClassView& cv = v.classes[c];
    std::string on, ok;
    for (const auto& n : cv.links) {
      const bool overlay = std::find(cv.overlay_links.begin(), cv.overlay_links.end(), n) != cv.overlay_links.end();
      on += (on.empty() ? "" : ",") + n + (overlay ? " (overlay)" : "");
    }
    for (const auto& n : cv.sla_ok) ok += (ok.empty() ? "" : ",") + n;
    s += fmt::format("{:<12} {:<16} {:<9} {:<26} {}\n", pol.classes[c].name, on.empty() ? "(none)" : on,
                     cv.fallback ? "yes" : "no",
                     fmt::format("{} {}%/{}ms/{}ms", cv.sla, cv.max_loss_pct, cv.max_rtt_ms, cv.max_jitter_ms),
                     ok.empty() ? "(none)" : ok);
  }
  return s;
}

std::string counters_text(const StatsView& v) {
  const Policy& pol = *v.policy;
  const CounterTotals& t = v.totals;
  std::string s = fmt::format("{:<12} {:>12} {:>14} {:>12} {:>14} {:>10}\n", "PORT", "RX PKTS", "RX BYTES", "TX PKTS",
                              "TX BYTES", "DROPS");
  auto port_line = [&](const std::string& name, const PortTotals& p) {
    s += fmt::format("{:<12} {:>12} {:>14} {:>12} {:>14} {:>10}\n", name, p.rx_packets, p.rx_bytes, p.tx_packets,
                     p.tx_bytes, p.drops);
  };
  port_line("lan", t.port[0]);
  for (size_t l = 0; l < pol.links.size(); l++) port_line(pol.links[l].name, t.port[l + 1]);
  s += fmt::format("\n{:<12}", "CLASS");
  for (const auto& l : pol.links) s += fmt::format(" {:>16}", l.name + " pkts");
  s += fmt::format(" {:>14}\n", "no-link drops");
  for (size_t c = 0; c < pol.classes.size(); c++) {
    s += fmt::format("{:<12}", pol.classes[c].name);
    for (size_t l = 0; l < pol.links.size(); l++) {
      bool allowed = false;
      for (uint8_t a : pol.classes[c].links) allowed |= (a == l);
      s += allowed ? fmt::format(" {:>16}", t.class_link_packets[c][l]) : fmt::format(" {:>16}", "(not allowed)");
    }
    s += fmt::format(" {:>14}\n", t.class_no_link[c]);
  }
  // Rate limits and shapers: one line per (class, link) that saw any of it.
  std::string eg;
  for (size_t c = 0; c < pol.classes.size(); c++)
    for (size_t l = 0; l < pol.links.size(); l++) {
      const EgressTotals& e = t.egress[c][l];
      if (e.meter_exceed_drops + e.meter_remarked + e.blocked_drops + e.queue_drops + e.codel_drops + e.queue_depth ==
          0)
        continue;
      eg += fmt::format("{:<12} {:<12} {:>12} {:>12} {:>10} {:>10} {:>10} {:>10} {:>8}\n", pol.classes[c].name,
                        pol.links[l].name, e.meter_conform, e.meter_exceed_drops, e.meter_remarked, e.blocked_drops,
                        e.queue_drops, e.codel_drops, e.queue_depth);
    }
  if (!eg.empty())
    s += fmt::format("\n{:<12} {:<12} {:>12} {:>12} {:>10} {:>10} {:>10} {:>10} {:>8}\n", "EGRESS", "LINK", "CONFORM",
                     "OVER LIMIT", "REMARKED", "BLOCKED", "Q FULL", "Q DELAY", "DEPTH") +
         eg;
  s += "\nDROPS\n";
  bool any = false;
  for (uint32_t r = 0; r < kDropReasonCount; r++) {
    if (t.drop[r] == 0) continue;
    any = true;
    s += fmt::format("  {:<26} {:>12}  {}\n", kDropReasonNames[r], t.drop[r], kDropReasonHelp[r]);
  }
  if (!any) s += "  (none)\n";
  s += fmt::format(
      "\nflows: {} cached, {} hits ({} by the fast lane), {} misses, {} evictions, {} expired, {} moved; "
      "{} replies by the WAN fast lane\n",
      t.flow_entries, t.flow_hits, t.fast_lane, t.flow_misses, t.flow_evictions, t.flow_expired, t.flow_moves,
      t.wan_fast_lane);
  s += fmt::format("icmp errors: {} sent, {} suppressed; tcp mss clamped: {}; fragmented: {} packets into {}\n",
                   t.icmp_errors_sent, t.icmp_errors_suppressed, t.mss_clamped, t.ipv4_fragmented, t.ipv4_fragments);
  s += fmt::format("mempool: {} of {} mbufs in use\n", v.mempool_in_use, v.mempool_size);
  const double run = static_cast<double>(t.busy_cycles + t.idle_cycles + t.sleep_cycles);
  s += fmt::format("workers: {} loops ({} moved packets), {} naps ({:.1f} % of the time asleep)\n", t.loops,
                   t.busy_loops, t.naps, run > 0 ? 100.0 * static_cast<double>(t.sleep_cycles) / run : 0.0);
  if (t.wakes_by_packet + t.wakes_by_kick + t.wakes_by_timeout != 0)
    s += fmt::format("idle sleeps woken by: {} packets, {} kicks from control, {} timeouts\n", t.wakes_by_packet,
                     t.wakes_by_kick, t.wakes_by_timeout);
  return s;
}

}  // namespace wansteer
