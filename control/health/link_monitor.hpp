// LinkMonitor: each WAN link's health as the control plane judges it. Drives the Prober and the per-link estimators,
// turns them into liveness (with the passive "sending but receiving nothing" signal) and per (class, link) SLA
// verdicts, and keeps each link's administrative state. Emits an event for every change; times are clock ticks.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "control/health/link_health.hpp"
#include "control/health/prober.hpp"
#include "control/health/stall_watch.hpp"
#include "control/operations/stats.hpp"
#include "control/policy/policy.hpp"
#include "control/runtime/neighbours.hpp"
#include "control/steering/events.hpp"
#include "control/steering/health_event.hpp"
#include "control/steering/planner.hpp"

namespace wansteer {

class LinkMonitor {
 public:
  // `policy` is read at every call (a reload replaces it in place). No probing until start_probing().
  LinkMonitor(const Policy& policy, EventLog& events, uint64_t hz);

  // Creates the prober; every link starts "no_reply_yet" (probed) or alive (not probed).
  void start_probing(rte_mempool* pool, const rte_ether_addr* link_macs, Prober::SendFn send);
  // One SLA gate per (class, link) for the running policy. On reload (`old` set), a class with the same name and
  // SLA keeps its gates and verdicts, so reloading an unchanged policy moves nothing.
  void rebuild_gates(const Policy* old);

  // Call first in every control tick, before replies are read: a long gap since the last tick was a stall of the
  // edge itself, and the probes it affected must be voided before their replies (read late) or timeouts count.
  void note_tick(uint64_t now);
  // Sends due probes (through links whose gateway is known) and ages unanswered ones.
  void send_probes(uint64_t now, const Gateways& gw);
  // A probe reply a worker handed over (link index, not port), read by control at `now`. Does not free the mbuf.
  void on_probe_reply(rte_mbuf* m, uint8_t link, uint64_t now);
  // The passive signal, from the workers' counters: a link whose user traffic keeps leaving while nothing at all
  // (no packet, no probe reply, however late) comes back for its passive timeout is suspected now instead of after
  // probe misses. A full uplink still brings probe replies back, so it is never suspected. The workers' loop
  // counter tells whether they ran at all (StallWatch).
  void sample_traffic(uint64_t now, const CounterTotals& t);
  // Liveness and SLA verdicts now; emits link_state and sla events for changes.
  void evaluate(uint64_t now);

  // Administrative state: `cause` says why it is down ("admin_down", "drill"). True when it changed.
  bool set_admin(size_t l, bool up, const char* cause);
  bool admin_up(size_t l) const { return admin_up_[l]; }

  // A DHCP lease (re)addressed link `l` (control/runtime/lease_apply.cpp): the probes follow.
  void readdress(size_t l, uint32_t own_ip, uint32_t old_gateway, uint32_t gateway) {
    if (prober_) prober_->readdress(l, own_ip, old_gateway, gateway);
  }
  bool probing(size_t l) const { return prober_ && prober_->enabled(l); }
  bool alive(size_t l) const { return alive_[l]; }
  bool sla_ok(size_t c, size_t l) const { return sla_ok_[c][l]; }
  LinkMetrics metrics(size_t l) const { return probing(l) ? prober_->liveness(l).metrics() : LinkMetrics{}; }
  // Usable for steering: admin up, next hop known, alive.
  bool usable(size_t l, const Gateways& gw) const { return admin_up_[l] && gw.resolved[l] && alive_[l]; }
  // Why link `l` is not (or no longer) usable, or out of class `c`'s SLA; "recovered" when it is fine.
  std::string why_left(size_t c, size_t l, const Gateways& gw) const;
  // Cause shown by `show links`.
  std::string link_cause(size_t l, const Gateways& gw) const;

  PlanInput plan_input(const Gateways& gw) const;
  // Fills the health part of `show links` (probe figures per link and per target).
  void fill_view(size_t l, LinkView* lv) const;
  uint64_t suspects(size_t l) const { return suspects_[l]; }
  uint64_t last_traffic(size_t l) const { return tx_change_[l]; }  // ticks, 0 = never
  const StallWatch& stalls() const { return stall_; }

  static constexpr uint64_t kTrafficRecentMs =
      10000;  // a metered link that sent user traffic this recently probes fast

 private:
  void evaluate_gates(size_t l, const LinkMetrics& m, uint64_t now_ns);
  uint32_t passive_timeout_ms(size_t l) const;
  // The lowest loss limit among the SLAs of the classes allowed on link `l` (100 when none limits loss).
  double strictest_loss_pct(size_t l) const;
  // The edge did not run during `gap`: liveness and the passive signal do not count it as silence.
  void excuse(const StallWatch::Gap& gap);

  const Policy& policy_;
  EventLog& events_;
  uint64_t hz_;
  std::unique_ptr<Prober> prober_;
  std::vector<std::vector<SlaGate>> gates_;  // [class][link]
  bool admin_up_[kMaxLinks];
  const char* admin_cause_[kMaxLinks];
  bool alive_[kMaxLinks] = {};         // liveness verdict (probes, passive signal)
  std::string link_cause_[kMaxLinks];  // why the link is in its state
  bool sla_ok_[kMaxClasses][kMaxLinks] = {};
  std::string sla_cause_[kMaxClasses][kMaxLinks];
  // Passive signal: the last counter values and when (ticks) they last changed.
  uint64_t user_tx_[kMaxLinks] = {}, rx_[kMaxLinks] = {};
  uint64_t tx_change_[kMaxLinks] = {}, rx_change_[kMaxLinks] = {}, tx_start_[kMaxLinks] = {};
  uint64_t suspects_[kMaxLinks] = {};
  uint64_t reply_read_[kMaxLinks] = {};  // ticks: when control last read a reply to one of the link's probes
  StallWatch stall_;
};

}  // namespace wansteer
