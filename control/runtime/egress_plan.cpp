// Egress planning: effective per (class, link) meter profiles (backup variants chosen from link roles and
// usability) and per link shaper settings, with generation numbers that change only when settings do.
#include "control/runtime/egress_plan.hpp"

#include <algorithm>

namespace wansteer {

namespace {
constexpr uint64_t kMinTopQueue = 64;  // packets: see the queue limits below
}  // namespace

namespace {

MeterProfile profile_of(const RateLimitSpec& r) {
  MeterProfile p;
  p.mode = MeterMode::limit;
  p.exceed = r.remark ? ExceedAction::remark : ExceedAction::drop;
  p.remark_dscp = r.remark_dscp;
  p.cir = r.rate_bps / 8;
  p.cbs = r.burst_bytes ? r.burst_bytes : std::max(p.cir * kDefaultBurstMs / 1000, kMinDefaultBurst);
  p.has_peak = r.peak_rate_bps != 0;
  p.pir = p.has_peak ? r.peak_rate_bps / 8 : p.cir;
  p.pbs = p.has_peak && r.peak_burst_bytes ? r.peak_burst_bytes : p.cbs;
  return p;
}

MeterProfile effective(const Policy& p, size_t c, bool backup) {
  if (c >= p.class_limits.size()) return MeterProfile{};
  const ClassLimitSpec& cl = p.class_limits[c];
  if (backup) {
    switch (cl.on_backup) {
      case BackupMode::block: {
        MeterProfile m;
        m.mode = MeterMode::block;
        return m;
      }
      case BackupMode::unlimited:
        return MeterProfile{};
      case BackupMode::limit:
        return profile_of(cl.backup_limit);
      case BackupMode::same:
        break;
    }
  }
  return cl.limit ? profile_of(*cl.limit) : MeterProfile{};
}

// On a link whose data budget is spent, on_budget_exhausted replaces whatever else applies (allow keeps it).
MeterProfile exhausted(const Policy& p, size_t c, MeterProfile normal) {
  const BudgetAction a = c < p.class_limits.size() ? p.class_limits[c].on_budget : BudgetAction::block;
  switch (a) {
    case BudgetAction::block: {
      MeterProfile m;
      m.mode = MeterMode::budget;
      return m;
    }
    case BudgetAction::limit:
      return profile_of(p.class_limits[c].budget_limit);
    case BudgetAction::allow:
      break;
  }
  return normal;
}

}  // namespace

bool backup_profiles_active(const Policy& p, const std::array<bool, kMaxLinks>& usable, size_t l) {
  if (l < p.links.size() && p.links[l].role == LinkRole::backup) return true;
  for (size_t i = 0; i < p.links.size() && i < kMaxLinks; i++)
    if (p.links[i].role == LinkRole::primary && usable[i]) return false;
  return true;
}

EgressPlan plan_egress(const Policy& p, const std::array<bool, kMaxLinks>& usable, const EgressPlan* previous,
                       uint64_t tsc_hz, uint16_t budget_exhausted) {
  EgressPlan plan;
  plan.tsc_hz = tsc_hz;
  const size_t n_links = std::min<size_t>(p.links.size(), kMaxLinks);
  const size_t n_classes = std::min<size_t>(p.classes.size(), kMaxClasses);

  for (size_t l = 0; l < n_links; l++) {
    const bool backup = backup_profiles_active(p, usable, l);
    for (size_t c = 0; c < n_classes; c++) {
      MeterProfile m = effective(p, c, backup);
      if ((budget_exhausted >> l) & 1u) m = exhausted(p, c, m);
      const MeterProfile* old = previous ? &previous->meter[c][l] : nullptr;
      m.generation = old == nullptr ? 1 : old->same_settings(m) ? old->generation : old->generation + 1;
      plan.meter[c][l] = m;
    }
  }

  // Priority order: the policy's (already complete after loading); classes missing (hand-built policies)
  // follow in class order.
  std::vector<uint8_t> order;
  for (uint8_t c : p.shaper.priority)
    if (c < n_classes && std::find(order.begin(), order.end(), c) == order.end()) order.push_back(c);
  for (size_t c = 0; c < n_classes; c++)
    if (std::find(order.begin(), order.end(), c) == order.end()) order.push_back(static_cast<uint8_t>(c));
  uint16_t delay_mask = 0;
  for (uint8_t c : p.shaper.delay_drop)
    if (c < n_classes) delay_mask = static_cast<uint16_t>(delay_mask | (1u << c));

  for (size_t l = 0; l < n_links; l++) {
    const LinkSpec& ls = p.links[l];
    ShaperConfig& s = plan.shaper[l];
    s.enabled = ls.capacity_up_bps != 0 && ls.shaping;
    if (s.enabled) {
      s.rate = ls.capacity_up_bps / 8;
      s.burst = std::max(s.rate * kShaperBurstMs / 1000, kShaperMinBurst);
      uint64_t q = (s.rate * p.shaper.queue_ms / 1000 + kQueueFrameBytes - 1) / kQueueFrameBytes;
      q = std::clamp<uint64_t>(q, kMinQueueLimit, kShaperQueueMax);
      // The limit is counted in full-size frames, which leaves a class of small packets (voice: ~200 bytes)
      // only a few slots on a slow link: a burst of calls from a PBX would be tail-dropped on an idle link.
      // Classes without delay-based drops (the ones served first) get at least kMinTopQueue slots; they wait
      // behind nothing, so the longer queue costs them no latency.
      for (size_t c = 0; c < kMaxClasses; c++) {
        const bool top = !((delay_mask >> c) & 1u);
        s.queue_limit[c] = static_cast<uint16_t>(top ? std::max<uint64_t>(q, kMinTopQueue) : q);
        // Bytes: the policy's queue_bytes, or by default the packet limit in full-size frames, so the byte limit
        // binds only on jumbo frames; never below one jumbo frame, which must be able to wait its turn.
        const uint64_t bytes = p.shaper.queue_bytes ? p.shaper.queue_bytes : s.queue_limit[c] * kQueueFrameBytes;
        s.queue_limit_bytes[c] = static_cast<uint32_t>(std::max<uint64_t>(bytes, kMaxFrameBytes));
      }
      s.max_wait_tsc = tsc_hz * std::max<uint64_t>(kQueueMaxWaitMs, 4 * p.shaper.queue_ms) / 1000;
      s.n_order = static_cast<uint8_t>(order.size());
      std::copy(order.begin(), order.end(), s.order);
      s.delay_drop_mask = delay_mask;
      s.delay_target_tsc = tsc_hz * p.shaper.delay_target_ms / 1000;
      s.delay_interval_tsc = tsc_hz * p.shaper.delay_interval_ms / 1000;
    }
    const ShaperConfig* old = previous ? &previous->shaper[l] : nullptr;
    s.generation = old == nullptr ? 1 : old->same_rate(s) ? old->generation : old->generation + 1;
  }
  return plan;
}

}  // namespace wansteer
