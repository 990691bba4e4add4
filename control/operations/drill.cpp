// Drill: state, sampling and the report of a failover rehearsal (control thread).
#include "control/operations/drill.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace wansteer {

namespace {
// Reports keep three decimals, as they always have.
double round3(double x) { return std::round(x * 1000) / 1000; }
}  // namespace

Drill::Drill(const Policy& policy, uint64_t hz) : policy_(&policy), hz_(hz) {}

std::string Drill::link_name(uint8_t l) const {
  return l < policy_->links.size() ? policy_->links[l].name : std::string("none");
}

void Drill::start(uint8_t link, uint64_t secs, uint64_t now, const CounterTotals& totals, const Plan& plan) {
  *this = Drill(*policy_, hz_);  // a new drill forgets the last one's report
  active_ = true;
  link_ = link;
  start_ = now;
  end_ = now + secs * hz_;
  base_ = totals;
  for (size_t c = 0; c < policy_->classes.size() && c < kMaxClasses; c++) {
    from_[c] = plan.cls[c].first;
    move_s_[c] = -1;
  }
}

void Drill::withdrawn(const Plan& plan) {
  for (size_t c = 0; c < policy_->classes.size() && c < kMaxClasses; c++) to_[c] = plan.cls[c].first;
}

void Drill::on_move(size_t c, double secs) {
  if (active_ && move_s_[c] < 0) move_s_[c] = secs;
}

void Drill::sample(uint64_t now, const Plan& plan,
                   const std::function<std::optional<LinkMetrics>(uint8_t)>& metrics_of) {
  if (!active_ || now - last_sample_ < kSampleMs * hz_ / 1000) return;
  last_sample_ = now;
  for (size_t c = 0; c < policy_->classes.size() && c < kMaxClasses; c++) {
    const uint8_t l = plan.cls[c].first;
    to_[c] = l;
    const std::optional<LinkMetrics> m = l < policy_->links.size() ? metrics_of(l) : std::nullopt;
    if (!m) continue;
    loss_sum_[c] += m->loss_pct;
    rtt_sum_[c] += m->rtt_ms;
    jitter_sum_[c] += m->jitter_ms;
    loss_max_[c] = std::max(loss_max_[c], m->loss_pct);
    rtt_max_[c] = std::max(rtt_max_[c], m->rtt_ms);
    jitter_max_[c] = std::max(jitter_max_[c], m->jitter_ms);
    samples_[c]++;
  }
}

// One class's row of the report, in text and JSON.
void Drill::add_class(size_t c, const CounterTotals& t) {
  const uint8_t to = to_[c];
  uint64_t pk = 0, by = 0;
  if (to < policy_->links.size()) {
    pk = t.class_link_packets[c][to] - base_.class_link_packets[c][to];
    by = t.class_link_bytes[c][to] - base_.class_link_bytes[c][to];
  }
  const uint64_t dropped = t.class_no_link[c] - base_.class_no_link[c];
  const uint32_t n = samples_[c];
  const double la = n ? loss_sum_[c] / n : 0, ra = n ? rtt_sum_[c] / n : 0, ja = n ? jitter_sum_[c] / n : 0;
  const std::string move = move_s_[c] >= 0 ? fmt::format("{:.1f}", move_s_[c] * 1000) : "-";
  report_text_ += fmt::format(
      "{:<10} {:<7} {:<7} {:>9} {:>10} {:>12} {:>9} {:>15} {:>15} {:>15}\n", policy_->classes[c].name,
      link_name(from_[c]), link_name(to), move, pk, by, dropped, fmt::format("{:.2f}/{:.2f}", la, loss_max_[c]),
      fmt::format("{:.2f}/{:.2f}", ra, rtt_max_[c]), fmt::format("{:.2f}/{:.2f}", ja, jitter_max_[c]));
  nlohmann::ordered_json j;
  j["from"] = link_name(from_[c]);
  j["to"] = link_name(to);
  j["move_ms"] = move_s_[c] >= 0 ? nlohmann::ordered_json(round3(move_s_[c] * 1000)) : nlohmann::ordered_json();
  j["packets"] = pk;
  j["bytes"] = by;
  j["no_link_drops"] = dropped;
  j["loss_pct_avg"] = round3(la);
  j["loss_pct_max"] = round3(loss_max_[c]);
  j["rtt_ms_avg"] = round3(ra);
  j["rtt_ms_max"] = round3(rtt_max_[c]);
  j["jitter_ms_avg"] = round3(ja);
  j["jitter_ms_max"] = round3(jitter_max_[c]);
  j["samples"] = n;
  report_json_["classes"][policy_->classes[c].name] = std::move(j);
}

void Drill::finish(uint64_t now, const CounterTotals& t) {
  const double secs = static_cast<double>(now - start_) / static_cast<double>(hz_);
  report_text_ = fmt::format("drill report: link {} withdrawn for {:.1f} s\n", link_name(link_), secs);
  report_text_ +=
      fmt::format("{:<10} {:<7} {:<7} {:>9} {:>10} {:>12} {:>9} {:>15} {:>15} {:>15}\n", "CLASS", "FROM", "TO",
                  "MOVE ms", "PACKETS", "BYTES", "DROPPED", "LOSS% avg/max", "RTT ms avg/max", "JITTER avg/max");
  report_json_ = nlohmann::ordered_json::object();
  report_json_["link"] = link_name(link_);
  report_json_["seconds"] = round3(secs);
  report_json_["classes"] = nlohmann::ordered_json::object();
  for (size_t c = 0; c < policy_->classes.size() && c < kMaxClasses; c++) add_class(c, t);
  report_text_ +=
      "MOVE ms: drill start to the class's first packet on its new link; '-' = no traffic of that class moved.\n"
      "LOSS/RTT/JITTER: the new link's probe measurements, sampled every 100 ms during the drill.\n";
  active_ = false;
  done_ = true;
}

double Drill::seconds_left(uint64_t now) const {
  return static_cast<double>(end_ - std::min(end_, now)) / static_cast<double>(hz_);
}

std::string Drill::status(uint64_t now, bool json) const {
  nlohmann::ordered_json j;
  if (active_) {
    const double left = seconds_left(now);
    if (!json) return fmt::format("drill on {} running, {:.1f} s left\n", link_name(link_), left);
    j["running"] = true;
    j["link"] = link_name(link_);
    j["seconds_left"] = std::round(left * 10) / 10;
    return j.dump() + "\n";
  }
  if (!json) return done_ ? report_text_ : "no drill has run\n";
  j["running"] = false;
  j["report"] = done_ ? report_json_ : nlohmann::ordered_json();
  return j.dump() + "\n";
}

}  // namespace wansteer
