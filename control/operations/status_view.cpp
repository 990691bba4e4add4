// ControlPlane::stats_view: what `show links`, `show classes` and `show counters` report, gathered from the parts
// and the workers' counters (summed here, on the control thread).
#include <fmt/format.h>
#include <rte_mempool.h>

#include <limits>

#include "control/common/addr_format.hpp"
#include "control/runtime/control_plane.hpp"

namespace wansteer {

namespace {
LinkView::Lease lease_view(const dhcp::Client& dc, uint64_t now, uint64_t hz) {
  LinkView::Lease v;
  v.state = dhcp::state_name(dc.state());
  if (const auto& l = dc.lease()) {
    v.address = fmt::format("{}/{}", ipv4_str(l->address), l->prefix);
    v.gateway = ipv4_str(l->gateway);
    v.server = ipv4_str(l->server);
    v.seconds_left = l->expires == dhcp::kNever ? std::numeric_limits<double>::infinity()
                     : l->expires > now         ? static_cast<double>(l->expires - now) / static_cast<double>(hz)
                                                : 0.0;
  }
  return v;
}
}  // namespace

StatsView ControlPlane::stats_view() {
  StatsView v;
  v.policy = &policy_;
  v.totals = sum_counters(rt_.workers);
  v.totals.drop[static_cast<uint32_t>(DropReason::no_neighbor)] += neighbours_.no_neighbor_drops();
  v.totals.port[0].drops += neighbours_.no_neighbor_drops();  // arrived on a WAN port but were meant for the LAN
  const Gateways& gw = neighbours_.gateways();
  for (size_t l = 0; l < policy_.links.size(); l++) {
    LinkView lv;
    lv.admin_up = monitor_.admin_up(l);
    lv.gateway_resolved = gw.resolved[l];
    lv.gateway_mac = gw.resolved[l] ? mac_str(gw.mac[l].addr_bytes) : "";
    lv.own_mac = mac_str(rt_.link_mac[l].addr_bytes);
    lv.port_id = rt_.link_port[l];
    bool degraded = false;
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++)
      for (uint8_t a : policy_.classes[c].links)
        if (a == l && monitor_.probing(l) && !monitor_.sla_ok(c, l)) degraded = true;
    lv.state = !monitor_.usable(l, gw) ? "down" : degraded ? "degraded" : "up";
    lv.cause = monitor_.link_cause(l, gw);
    monitor_.fill_view(l, &lv);
    if (const dhcp::Client* dc = dhcp_.client(l)) lv.dhcp = lease_view(*dc, clock_.now(), clock_.hz());
    lv.budget = budgets_.view(policy_.links[l].name);
    v.links.push_back(lv);
  }
  const Plan& plan = steering_.plan();
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    const ClassSpec& cs = policy_.classes[c];
    ClassView cv;
    const ClassPlan& cp = plan.cls[c];
    if (cp.first != kNoLink) cv.links.push_back(link_name(cp.first));
    for (size_t l = 0; l < policy_.links.size(); l++)
      if (((cp.picked_mask >> l) & 1u) && l != cp.first) cv.links.push_back(link_name(static_cast<uint8_t>(l)));
    for (size_t l = 0; l < policy_.links.size(); l++)
      if (((cp.picked_mask >> l) & 1u) && plan.table.cls[c].via_overlay(static_cast<uint8_t>(l)))
        cv.overlay_links.push_back(link_name(static_cast<uint8_t>(l)));
    cv.fallback = cp.fallback;
    cv.sla = cs.sla.preset;
    cv.max_loss_pct = cs.sla.max_loss_pct;
    cv.max_rtt_ms = cs.sla.max_rtt_ms;
    cv.max_jitter_ms = cs.sla.max_jitter_ms;
    for (uint8_t l : cs.links)
      if (monitor_.usable(l, gw) && (!monitor_.probing(l) || monitor_.sla_ok(c, l))) cv.sla_ok.push_back(link_name(l));
    cv.backup_seconds = steering_.backup_seconds(c);
    v.classes.push_back(cv);
  }
  v.lan_mac = mac_str(rt_.lan_mac.addr_bytes);
  v.lan_port_id = rt_.lan_port;
  v.generation = generation_;
  v.mempool_in_use = rte_mempool_in_use_count(rt_.pool);
  v.mempool_size = rt_.pool->size;
  if (rt_.frag_direct != nullptr)
    v.frag_mbufs_in_use = rte_mempool_in_use_count(rt_.frag_direct) + rte_mempool_in_use_count(rt_.frag_indirect);
  v.arp_replies = neighbours_.arp_replies();
  v.arp_requests = neighbours_.arp_requests();
  v.arp_held_sent = neighbours_.held_sent();
  v.arp_ignored = neighbours_.arp_ignored();
  v.neighbors = neighbours_.lan_count();
  return v;
}

}  // namespace wansteer
