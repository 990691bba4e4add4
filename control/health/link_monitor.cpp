// LinkMonitor: probing, liveness, the passive signal, SLA gates and admin state per link (control thread).
#include "control/health/link_monitor.hpp"

#include <algorithm>

#include "control/common/addr_format.hpp"

namespace wansteer {

namespace {
Sla sla_of(const ClassSpec& c) { return Sla{c.sla.max_loss_pct, c.sla.max_rtt_ms, c.sla.max_jitter_ms}; }
}  // namespace

LinkMonitor::LinkMonitor(const Policy& policy, EventLog& events, uint64_t hz)
    : policy_(policy), events_(events), hz_(hz), stall_(hz) {
  for (size_t l = 0; l < kMaxLinks; l++) {
    admin_up_[l] = true;
    admin_cause_[l] = "admin_up";
  }
}

void LinkMonitor::start_probing(rte_mempool* pool, const rte_ether_addr* link_macs, Prober::SendFn send) {
  prober_ = std::make_unique<Prober>(policy_, pool, link_macs, hz_, std::move(send));
  for (size_t l = 0; l < policy_.links.size(); l++) {
    alive_[l] = !prober_->enabled(l);
    link_cause_[l] = prober_->enabled(l) ? "no_reply_yet" : "not_probed";
  }
}

void LinkMonitor::rebuild_gates(const Policy* old) {
  std::vector<std::vector<SlaGate>> gates(policy_.classes.size());
  bool ok[kMaxClasses][kMaxLinks] = {};
  std::string cause[kMaxClasses][kMaxLinks];
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    const ClassSpec& cs = policy_.classes[c];
    int oc = old ? old->class_index(cs.name) : -1;
    bool keep = oc >= 0 && static_cast<size_t>(oc) < gates_.size() &&
                old->classes[oc].sla.max_loss_pct == cs.sla.max_loss_pct &&
                old->classes[oc].sla.max_rtt_ms == cs.sla.max_rtt_ms &&
                old->classes[oc].sla.max_jitter_ms == cs.sla.max_jitter_ms;
    for (size_t l = 0; l < policy_.links.size(); l++) {
      if (keep) {
        gates[c].push_back(gates_[oc][l]);
        ok[c][l] = sla_ok_[oc][l];
        cause[c][l] = sla_cause_[oc][l];
      } else {
        gates[c].emplace_back(health_config(policy_.links[l].probe));
        ok[c][l] = true;  // a new gate passes until measurements say otherwise
        cause[c][l] = "ok";
      }
    }
  }
  gates_ = std::move(gates);
  for (size_t c = 0; c < kMaxClasses; c++)
    for (size_t l = 0; l < kMaxLinks; l++) {
      sla_ok_[c][l] = ok[c][l];
      sla_cause_[c][l] = std::move(cause[c][l]);
    }
}

void LinkMonitor::note_tick(uint64_t now) { excuse(stall_.on_tick(now)); }

void LinkMonitor::excuse(const StallWatch::Gap& gap) {
  if (gap.empty() || !prober_) return;
  const uint64_t len = gap.to - gap.from;
  for (size_t l = 0; l < policy_.links.size(); l++) {
    if (prober_->enabled(l)) prober_->liveness(l).excuse(prober_->ns_of(gap.from), prober_->ns_of(gap.to));
    // The passive window's silence, like liveness's, resumes where it stood when the stall began.
    for (uint64_t* since : {&rx_change_[l], &tx_start_[l], &reply_read_[l]})
      if (*since != 0 && *since < gap.to) *since = std::min(*since + len, gap.to);
  }
}

void LinkMonitor::send_probes(uint64_t now, const Gateways& gw) {
  if (!prober_) return;
  note_tick(now);  // a caller that did not call note_tick() first still gets the stall seen
  std::array<Prober::LinkTx, kMaxLinks> tx{};
  for (size_t l = 0; l < policy_.links.size(); l++) {
    // Probes keep running while a link is administratively down: the operator withdraws user traffic, not
    // the measurements (a drill shows the link's health all along, and admin up needs no hold-down).
    tx[l].can_send = gw.resolved[l];
    tx[l].gateway_mac = gw.mac[l];
    tx[l].carrying_traffic = tx_change_[l] != 0 && now - tx_change_[l] < kTrafficRecentMs * (hz_ / 1000);
  }
  prober_->tick(now, tx);
}

void LinkMonitor::on_probe_reply(rte_mbuf* m, uint8_t link, uint64_t now) {
  if (!prober_) return;
  const uint64_t rx = prober_->on_reply(m, link);
  if (rx == 0) return;
  reply_read_[link] = now;
  excuse(stall_.on_reply_read(rx, now));
}

// One-way traffic (an upload, a UDP stream) brings nothing back by itself: only probe replies are sure to arrive,
// so the silence must also outlast a few probe-reply spacings before it means anything. 0 = no passive signal.
uint32_t LinkMonitor::passive_timeout_ms(size_t l) const {
  uint32_t passive = policy_.links[l].probe.passive_timeout_ms;
  if (passive != 0 && probing(l))
    passive = std::max<uint32_t>(passive, static_cast<uint32_t>(3 * prober_->current_interval_ms(l) /
                                                                std::max<size_t>(1, prober_->n_targets(l))));
  return passive;
}

void LinkMonitor::sample_traffic(uint64_t now, const CounterTotals& t) {
  const uint64_t ms = hz_ / 1000;
  excuse(stall_.on_worker_loops(now, t.loops));
  for (size_t l = 0; l < policy_.links.size(); l++) {
    uint64_t tx = 0;
    for (size_t c = 0; c < policy_.classes.size(); c++) tx += t.class_link_packets[c][l];
    const uint64_t rx = t.port[l + 1].rx_packets;
    const uint32_t passive = passive_timeout_ms(l);
    if (tx != user_tx_[l]) {
      // Traffic (re)starting on an idle link: silence is only counted from here (an idle metered link heard
      // nothing for seconds simply because it was probed slowly).
      if (tx_change_[l] == 0 || now - tx_change_[l] >= std::max<uint64_t>(passive, 1000) * ms) tx_start_[l] = now;
      tx_change_[l] = now;
    }
    if (rx != rx_[l] || rx_change_[l] == 0) rx_change_[l] = now;
    user_tx_[l] = tx;
    rx_[l] = rx;
    // Suspect only while user traffic is still leaving (sent within the timeout) and nothing at all, not even a
    // probe reply, came back for the whole timeout since that traffic started. Replies count on their own too:
    // whatever the port counters say, a link that answers probes is not silent.
    const uint64_t quiet_since = std::max({rx_change_[l], tx_start_[l], reply_read_[l]});
    if (passive != 0 && probing(l) && alive_[l] && tx_change_[l] != 0 && now - tx_change_[l] < passive * ms &&
        now - quiet_since >= passive * ms) {
      prober_->liveness(l).suspect(prober_->ns_of(now));
      suspects_[l]++;
    }
  }
}

void LinkMonitor::evaluate(uint64_t now) {
  if (!prober_) return;
  const uint64_t now_ns = prober_->ns_of(now);
  for (size_t l = 0; l < policy_.links.size(); l++) {
    if (!prober_->enabled(l)) {
      alive_[l] = true;
      for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) sla_ok_[c][l] = true;
      continue;
    }
    LinkLiveness& lv = prober_->liveness(l);
    const LinkLiveness::Verdict v = lv.evaluate(now_ns);
    const LinkMetrics m = lv.metrics();
    if (v.changed) {
      alive_[l] = v.alive;
      link_cause_[l] = v.cause;
      Event e = health_event("link_state", m);
      e.link = policy_.links[l].name;
      e.from = v.alive ? "down" : "up";
      e.to = v.alive ? "up" : "down";
      e.cause = v.cause;
      events_.emit(std::move(e));
    }
    evaluate_gates(l, m, now_ns);
    // Probe faster while the fast test is in doubt, or while the slow one still holds a breach up: a line that
    // is clean again is then cleared in about a second instead of 500 replies at the normal interval.
    const double strictest = strictest_loss_pct(l);
    bool doubt = lv.loss_in_doubt(LossTest::for_limit(strictest, LossTest::kFastFactor));
    const LossTest slow = LossTest::for_limit(strictest, LossTest::kSlowFactor);
    for (size_t t = 0; t < lv.n_targets() && !doubt; t++)
      doubt = lv.target(t).losses().evidence(slow) >= LossTest::kGoodNats;
    prober_->set_loss_boost(l, v.alive && doubt);
  }
}

double LinkMonitor::strictest_loss_pct(size_t l) const {
  double pct = 100;
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++)
    for (uint8_t a : policy_.classes[c].links)
      if (a == l) pct = std::min(pct, policy_.classes[c].sla.max_loss_pct);
  return pct;
}

void LinkMonitor::evaluate_gates(size_t l, const LinkMetrics& m, uint64_t now_ns) {
  const LinkLiveness& lv = prober_->liveness(l);
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses && c < gates_.size(); c++) {
    const Sla sla = sla_of(policy_.classes[c]);
    const double nats = std::max(lv.loss_evidence(LossTest::for_limit(sla.max_loss_pct, LossTest::kFastFactor)),
                                 lv.loss_evidence(LossTest::for_limit(sla.max_loss_pct, LossTest::kSlowFactor)));
    const SlaGate::Verdict g = gates_[c][l].evaluate(m, sla, nats, now_ns);
    if (!g.changed) continue;
    sla_ok_[c][l] = g.ok;
    sla_cause_[c][l] = g.cause;
    bool allowed = false;
    for (uint8_t a : policy_.classes[c].links) allowed |= a == l;
    if (!allowed) continue;  // a class never sent here needs no event about it
    Event e = health_event("sla", m);
    e.link = policy_.links[l].name;
    e.cls = policy_.classes[c].name;
    e.from = g.ok ? "out" : "in";
    e.to = g.ok ? "in" : "out";
    e.cause = g.cause;
    events_.emit(std::move(e));
  }
}

bool LinkMonitor::set_admin(size_t l, bool up, const char* cause) {
  const bool was = admin_up_[l];
  admin_up_[l] = up;
  admin_cause_[l] = cause;
  return was != up;
}

std::string LinkMonitor::why_left(size_t c, size_t l, const Gateways& gw) const {
  if (!admin_up_[l]) return admin_cause_[l];
  if (!gw.resolved[l]) return "next_hop_unresolved";
  if (!alive_[l]) return link_cause_[l].empty() ? "link_down" : link_cause_[l];
  if (!sla_ok_[c][l] && probing(l)) return "sla_" + sla_cause_[c][l];
  return "recovered";
}

std::string LinkMonitor::link_cause(size_t l, const Gateways& gw) const {
  return !admin_up_[l] ? "admin_down" : !gw.resolved[l] ? "next_hop_unresolved" : link_cause_[l];
}

PlanInput LinkMonitor::plan_input(const Gateways& gw) const {
  PlanInput in;
  for (size_t l = 0; l < policy_.links.size(); l++) {
    in.alive[l] = usable(l, gw);
    if (probing(l)) {
      const LinkMetrics m = prober_->liveness(l).metrics();
      in.score[l] = link_score(m.rtt_ms, m.jitter_ms, m.loss_pct);
    }
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++)
      in.sla_ok[c][l] = !probing(l) || sla_ok_[c][l];
  }
  return in;
}

void LinkMonitor::fill_view(size_t l, LinkView* lv) const {
  if (!probing(l)) return;
  const LinkMetrics m = prober_->liveness(l).metrics();
  const Prober::Stats& ps = prober_->stats(l);
  lv->probing = true;
  lv->loss_pct = m.loss_pct;
  lv->fwd_loss_pct = m.fwd_loss_pct;
  lv->rev_loss_pct = m.rev_loss_pct;
  lv->rtt_ms = m.rtt_ms;
  lv->rtt_max_ms = m.rtt_max_ms;
  lv->jitter_ms = m.jitter_ms;
  lv->probes_sent = ps.sent;
  lv->probes_lost = ps.sent - ps.replies;
  lv->probe_replies = ps.replies;
  lv->probe_tx_bytes = ps.tx_bytes;
  lv->probe_rx_bytes = ps.rx_bytes;
  lv->stamp_auth_failed = ps.stamp_auth_failed;
  lv->probe_interval_ms = prober_->current_interval_ms(l);
  for (size_t t = 0; t < prober_->n_targets(l); t++) {
    const ProbeTarget& spec = prober_->target_spec(l, t);
    const LinkMetrics tm = prober_->liveness(l).target(t).metrics();
    LinkView::Target tg;
    tg.address = ipv4_str(spec.address);
    tg.kind = spec.kind == ProbeKind::stamp ? "stamp" : "icmp";
    tg.loss_pct = tm.loss_pct;
    tg.fwd_loss_pct = tm.fwd_loss_pct;
    tg.rev_loss_pct = tm.rev_loss_pct;
    tg.rtt_ms = tm.rtt_ms;
    tg.jitter_ms = tm.jitter_ms;
    tg.samples = tm.samples;
    lv->targets.push_back(tg);
  }
}

}  // namespace wansteer
