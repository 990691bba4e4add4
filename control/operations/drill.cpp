// Failover drill: `drill start LINK SECONDS` withdraws a link from steering for a bounded time, then puts it back,
// and reports per class where it went, how long the move took, and what the backup's probes measured meanwhile.
// Business-continuity plans ask offices to rehearse failover; this makes it one command with a written result.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <rte_cycles.h>

#include "control/runtime/control_plane.hpp"

namespace wansteer {

namespace {
constexpr uint64_t kDrillMaxSeconds = 3600;
constexpr uint64_t kDrillSampleMs = 100;  // the backup's loss/RTT/jitter are sampled this often
}  // namespace

std::string ControlPlane::drill_command(const std::vector<std::string>& w, bool json) {
  // w[0] == "drill"
  if (w.size() == 4 && w[1] == "start") {
    if (drill_.active)
      return fmt::format("error: a drill on {} is running; `drill stop` ends it\n", link_name(drill_.link));
    int l = policy_.link_index(w[2]);
    if (l < 0) return fmt::format("error: unknown link \"{}\"\n", w[2]);
    char* end = nullptr;
    unsigned long secs = std::strtoul(w[3].c_str(), &end, 10);
    if (end == w[3].c_str() || *end != '\0' || secs < 1 || secs > kDrillMaxSeconds)
      return fmt::format("error: drill duration \"{}\" must be whole seconds from 1 to {}\n", w[3], kDrillMaxSeconds);
    if (!admin_up_[l]) return fmt::format("error: link {} is administratively down already\n", w[2]);
    const uint64_t now = rte_rdtsc();
    drill_ = Drill{};
    drill_.active = true;
    drill_.link = static_cast<uint8_t>(l);
    drill_.start_tsc = now;
    drill_.end_tsc = now + secs * tsc_hz_;
    drill_.base = sum_counters(rt_.workers);
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
      drill_.from[c] = plan_.cls[c].first;
      drill_.move_s[c] = -1;
    }
    Event e = health_event("drill", prober_ && prober_->enabled(l) ? prober_->liveness(l).metrics() : LinkMetrics{});
    e.link = w[2];
    e.cause = fmt::format("drill_start_{}s", secs);
    events_.emit(std::move(e));
    admin_up_[l] = false;
    replan(now);
    publish();
    for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) drill_.to[c] = plan_.cls[c].first;
    return fmt::format("drill: link {} withdrawn for {} s; `wansteerctl drill status` shows the report\n", w[2], secs);
  }
  if (w.size() == 2 && w[1] == "stop") {
    if (!drill_.active) return "error: no drill is running\n";
    drill_finish(rte_rdtsc());
    return json ? drill_.report_json + "\n" : drill_.report_text;
  }
  if (w.size() == 2 && w[1] == "status") {
    if (drill_.active) {
      double left = static_cast<double>(drill_.end_tsc - std::min(drill_.end_tsc, rte_rdtsc())) / tsc_hz_;
      return json ? fmt::format("{{\"running\":true,\"link\":\"{}\",\"seconds_left\":{:.1f}}}\n",
                                link_name(drill_.link), left)
                  : fmt::format("drill on {} running, {:.1f} s left\n", link_name(drill_.link), left);
    }
    if (!drill_.done) return json ? "{\"running\":false,\"report\":null}\n" : "no drill has run\n";
    return json ? fmt::format("{{\"running\":false,\"report\":{}}}\n", drill_.report_json) : drill_.report_text;
  }
  return "error: drill start LINK SECONDS | drill status | drill stop\n";
}

void ControlPlane::drill_tick(uint64_t now) {
  if (!drill_.active) return;
  if (now >= drill_.end_tsc) {
    drill_finish(now);
    return;
  }
  if (now - drill_.last_sample_tsc < kDrillSampleMs * tsc_hz_ / 1000) return;
  drill_.last_sample_tsc = now;
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    uint8_t l = plan_.cls[c].first;
    drill_.to[c] = l;
    if (l >= policy_.links.size() || !prober_ || !prober_->enabled(l)) continue;
    LinkMetrics m = prober_->liveness(l).metrics();
    drill_.loss_sum[c] += m.loss_pct;
    drill_.rtt_sum[c] += m.rtt_ms;
    drill_.jitter_sum[c] += m.jitter_ms;
    drill_.loss_max[c] = std::max(drill_.loss_max[c], m.loss_pct);
    drill_.rtt_max[c] = std::max(drill_.rtt_max[c], m.rtt_ms);
    drill_.jitter_max[c] = std::max(drill_.jitter_max[c], m.jitter_ms);
    drill_.samples[c]++;
  }
}

void ControlPlane::drill_finish(uint64_t now) {
  const CounterTotals t = sum_counters(rt_.workers);
  const double secs = static_cast<double>(now - drill_.start_tsc) / tsc_hz_;
  std::string text = fmt::format("drill report: link {} withdrawn for {:.1f} s\n", link_name(drill_.link), secs);
  text += fmt::format("{:<10} {:<7} {:<7} {:>9} {:>10} {:>12} {:>9} {:>15} {:>15} {:>15}\n", "CLASS", "FROM", "TO",
                      "MOVE ms", "PACKETS", "BYTES", "DROPPED", "LOSS% avg/max", "RTT ms avg/max", "JITTER avg/max");
  std::string json = fmt::format("{{\"link\":\"{}\",\"seconds\":{:.3f},\"classes\":{{", link_name(drill_.link), secs);
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; c++) {
    const uint8_t to = drill_.to[c];
    uint64_t pk = 0, by = 0;
    if (to < policy_.links.size()) {
      pk = t.class_link_packets[c][to] - drill_.base.class_link_packets[c][to];
      by = t.class_link_bytes[c][to] - drill_.base.class_link_bytes[c][to];
    }
    const uint64_t dropped = t.class_no_link[c] - drill_.base.class_no_link[c];
    const uint32_t n = drill_.samples[c];
    const double la = n ? drill_.loss_sum[c] / n : 0, ra = n ? drill_.rtt_sum[c] / n : 0,
                 ja = n ? drill_.jitter_sum[c] / n : 0;
    const std::string move = drill_.move_s[c] >= 0 ? fmt::format("{:.1f}", drill_.move_s[c] * 1000) : "-";
    text += fmt::format("{:<10} {:<7} {:<7} {:>9} {:>10} {:>12} {:>9} {:>15} {:>15} {:>15}\n", policy_.classes[c].name,
                        link_name(drill_.from[c]), link_name(to), move, pk, by, dropped,
                        fmt::format("{:.2f}/{:.2f}", la, drill_.loss_max[c]),
                        fmt::format("{:.2f}/{:.2f}", ra, drill_.rtt_max[c]),
                        fmt::format("{:.2f}/{:.2f}", ja, drill_.jitter_max[c]));
    json += fmt::format(
        R"({}"{}":{{"from":"{}","to":"{}","move_ms":{},"packets":{},"bytes":{},"no_link_drops":{},"loss_pct_avg":{:.3f},"loss_pct_max":{:.3f},"rtt_ms_avg":{:.3f},"rtt_ms_max":{:.3f},"jitter_ms_avg":{:.3f},"jitter_ms_max":{:.3f},"samples":{}}})",
        c ? "," : "", policy_.classes[c].name, link_name(drill_.from[c]), link_name(to),
        drill_.move_s[c] >= 0 ? fmt::format("{:.3f}", drill_.move_s[c] * 1000) : "null", pk, by, dropped, la,
        drill_.loss_max[c], ra, drill_.rtt_max[c], ja, drill_.jitter_max[c], n);
  }
  json += "}}";
  text +=
      "MOVE ms: drill start to the class's first packet on its new link; '-' = no traffic of that class moved.\n"
      "LOSS/RTT/JITTER: the new link's probe measurements, sampled every 100 ms during the drill.\n";
  const uint8_t l = drill_.link;
  drill_.active = false;
  drill_.done = true;
  drill_.report_text = text;
  drill_.report_json = json;
  admin_up_[l] = true;
  Event e = health_event("drill", prober_ && prober_->enabled(l) ? prober_->liveness(l).metrics() : LinkMetrics{});
  e.link = link_name(l);
  e.cause = "drill_end";
  events_.emit(std::move(e));
  replan(now);
  publish();
  fmt::print("wansteer: {}", text);
  std::fflush(stdout);
}

}  // namespace wansteer
