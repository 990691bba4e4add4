// Rendering of counters for the control socket, the exit summary and --final-stats. Names come from the
// validated policy ([a-z0-9_-]) and the drop-reason list, so JSON needs no escaping.
#include "control/operations/stats.hpp"

#include <fmt/format.h>

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
        t.class_link_packets[k][l] += c.class_link[k][l].packets.get() + direct;
        t.class_link_bytes[k][l] += c.class_link[k][l].bytes.get() + c.direct_tx[k][l].bytes.get();
        const ClassLinkEgressCounters& e = c.egress[k][l];
        EgressTotals& et = t.egress[k][l];
        et.meter_conform += e.meter_conform.get() + direct;
        et.meter_exceed_drops += e.meter_exceed_drops.get();
        et.meter_remarked += e.meter_remarked.get();
        et.blocked_drops += e.blocked_drops.get();
        et.queue_drops += e.queue_drops.get();
        et.codel_drops += e.codel_drops.get();
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
    t.icmp_echo_replies += c.icmp_echo_replies_sent.get();
    t.to_control += c.to_control.get();
    t.handoff_sent += c.handoff_sent.get();
    t.handoff_received += c.handoff_received.get();
    t.loops += c.loops.get();
    t.busy_loops += c.busy_loops.get();
    t.busy_cycles += c.busy_cycles.get();
    t.idle_cycles += c.idle_cycles.get();
    if (w->flows) t.flow_entries += w->flows->size();
  }
  return t;
}

static std::string port_json(const PortTotals& p) {
  return fmt::format(R"({{"rx_packets":{},"rx_bytes":{},"tx_packets":{},"tx_bytes":{},"drops":{}}})", p.rx_packets,
                     p.rx_bytes, p.tx_packets, p.tx_bytes, p.drops);
}

// The members shared by `show links` and `show counters`: "lan_mac":..,"links":{..}
static std::string links_members(const StatsView& v) {
  const Policy& pol = *v.policy;
  std::string s = fmt::format(R"("lan_mac":"{}","lan_port_id":{},"links":{{)", v.lan_mac, v.lan_port_id);
  for (size_t l = 0; l < pol.links.size() && l < v.links.size(); l++) {
    const LinkView& lv = v.links[l];
    std::string classes;
    for (size_t c = 0; c < pol.classes.size(); c++)
      for (uint8_t a : pol.classes[c].links)
        if (a == l) classes += fmt::format(R"({}"{}")", classes.empty() ? "" : ",", pol.classes[c].name);
    s += fmt::format(
        R"({}"{}":{{"admin":"{}","role":"{}","gateway_resolved":{},"gateway_mac":"{}","mac":"{}","port_id":{},"allowed_for":[{}],)"
        R"("capacity_up_bps":{},"capacity_down_bps":{},"shaping":{},)",
        l ? "," : "", pol.links[l].name, lv.admin_up ? "up" : "down",
        pol.links[l].role == LinkRole::backup ? "backup" : "primary", lv.gateway_resolved ? "true" : "false",
        lv.gateway_mac, lv.own_mac, lv.port_id, classes, pol.links[l].capacity_up_bps, pol.links[l].capacity_down_bps,
        pol.links[l].capacity_up_bps != 0 && pol.links[l].shaping ? "true" : "false");
    s += fmt::format(
        R"("state":"{}","cause":"{}","probing":{},"loss_pct":{:.3f},"fwd_loss_pct":{:.3f},"rev_loss_pct":{:.3f},"rtt_ms":{:.3f},"rtt_max_ms":{:.3f},"jitter_ms":{:.3f},"probes_sent":{},"probes_lost":{},"probe_replies":{},"probe_tx_bytes":{},"probe_rx_bytes":{},"probe_interval_ms":{},"targets":[)",
        lv.state, lv.cause, lv.probing ? "true" : "false", lv.loss_pct, lv.fwd_loss_pct, lv.rev_loss_pct, lv.rtt_ms,
        lv.rtt_max_ms, lv.jitter_ms, lv.probes_sent, lv.probes_lost, lv.probe_replies, lv.probe_tx_bytes,
        lv.probe_rx_bytes, lv.probe_interval_ms);
    for (size_t t = 0; t < lv.targets.size(); t++) {
      const LinkView::Target& tg = lv.targets[t];
      s += fmt::format(
          R"({}{{"address":"{}","kind":"{}","loss_pct":{:.3f},"fwd_loss_pct":{:.3f},"rev_loss_pct":{:.3f},"rtt_ms":{:.3f},"jitter_ms":{:.3f},"samples":{}}})",
          t ? "," : "", tg.address, tg.kind, tg.loss_pct, tg.fwd_loss_pct, tg.rev_loss_pct, tg.rtt_ms, tg.jitter_ms,
          tg.samples);
    }
    s += "]}";
  }
  s += '}';
  return s;
}

std::string counters_json(const StatsView& v) {
  const Policy& pol = *v.policy;
  const CounterTotals& t = v.totals;
  std::string s = fmt::format(R"({{"generation":{},"ports":{{"lan":{})", v.generation, port_json(t.port[0]));
  for (size_t l = 0; l < pol.links.size(); l++)
    s += fmt::format(R"(,"{}":{})", pol.links[l].name, port_json(t.port[l + 1]));
  s += R"(},"classes":{)";
  for (size_t c = 0; c < pol.classes.size(); c++) {
    s += fmt::format(R"({}"{}":{{"links":{{)", c ? "," : "", pol.classes[c].name);
    for (size_t l = 0; l < pol.links.size(); l++) {
      const EgressTotals& e = t.egress[c][l];
      s += fmt::format(
          R"({}"{}":{{"packets":{},"bytes":{},"meter_conform":{},"meter_exceed_drops":{},"meter_remarked":{},)"
          R"("blocked_drops":{},"queue_drops":{},"codel_drops":{},"queue_depth":{}}})",
          l ? "," : "", pol.links[l].name, t.class_link_packets[c][l], t.class_link_bytes[c][l], e.meter_conform,
          e.meter_exceed_drops, e.meter_remarked, e.blocked_drops, e.queue_drops, e.codel_drops, e.queue_depth);
    }
    s += fmt::format(R"(}},"no_link_drops":{}}})", t.class_no_link[c]);
  }
  s += R"(},"drops":{)";
  for (uint32_t r = 0; r < kDropReasonCount; r++)
    s += fmt::format(R"({}"{}":{})", r ? "," : "", kDropReasonNames[r], t.drop[r]);
  s += fmt::format(
      R"(}},"flows":{{"entries":{},"hits":{},"misses":{},"inserts":{},"evictions":{},"expired":{},"moves":{},"uncached":{},"fast_lane":{}}})",
      t.flow_entries, t.flow_hits, t.flow_misses, t.flow_inserts, t.flow_evictions, t.flow_expired, t.flow_moves,
      t.flow_uncached, t.fast_lane);
  s += fmt::format(
      R"(,"control":{{"arp_replies":{},"arp_requests":{},"neighbors":{},"icmp_echo_replies":{},"handed_to_control":{}}})",
      v.arp_replies, v.arp_requests, v.neighbors, t.icmp_echo_replies, t.to_control);
  s += fmt::format(
      R"(,"workers":{{"loops":{},"busy_loops":{},"busy_cycles":{},"idle_cycles":{},"handoff_sent":{},"handoff_received":{}}})",
      t.loops, t.busy_loops, t.busy_cycles, t.idle_cycles, t.handoff_sent, t.handoff_received);
  s += ',';
  s += links_members(v);
  s += fmt::format(R"(,"mempool":{{"in_use":{},"size":{}}}}})", v.mempool_in_use, v.mempool_size);
  return s;
}

std::string links_json(const StatsView& v) { return "{" + links_members(v) + "}"; }

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
  return s;
}

static std::string name_list(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += fmt::format(R"({}"{}")", s.empty() ? "" : ",", n);
  return "[" + s + "]";
}

std::string classes_json(const StatsView& v) {
  const Policy& pol = *v.policy;
  std::string s = "{";
  for (size_t c = 0; c < pol.classes.size() && c < v.classes.size(); c++) {
    const ClassView& cv = v.classes[c];
    s += fmt::format(
        R"({}"{}":{{"links":{},"fallback":{},"sla":"{}","max_loss_pct":{},"max_rtt_ms":{},"max_jitter_ms":{},"sla_ok":{},"backup_seconds":{:.3f},"no_link_drops":{}}})",
        c ? "," : "", pol.classes[c].name, name_list(cv.links), cv.fallback ? "true" : "false", cv.sla, cv.max_loss_pct,
        cv.max_rtt_ms, cv.max_jitter_ms, name_list(cv.sla_ok), cv.backup_seconds, v.totals.class_no_link[c]);
  }
  return s + "}";
}

std::string classes_text(const StatsView& v) {
  const Policy& pol = *v.policy;
  std::string s = fmt::format("{:<12} {:<16} {:<9} {:<26} {}\n", "CLASS", "NOW ON", "FALLBACK", "SLA (loss/rtt/jitter)",
                              "LINKS MEETING SLA");
  for (size_t c = 0; c < pol.classes.size() && c < v.classes.size(); c++) {
    const ClassView& cv = v.classes[c];
    std::string on, ok;
    for (const auto& n : cv.links) on += (on.empty() ? "" : ",") + n;
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
  s += fmt::format("\nflows: {} cached, {} hits ({} by the fast lane), {} misses, {} evictions, {} expired, {} moved\n",
                   t.flow_entries, t.flow_hits, t.fast_lane, t.flow_misses, t.flow_evictions, t.flow_expired,
                   t.flow_moves);
  s += fmt::format("mempool: {} of {} mbufs in use\n", v.mempool_in_use, v.mempool_size);
  return s;
}

}  // namespace wansteer
