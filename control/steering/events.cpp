// EventLog implementation: JSON lines via nlohmann::json, a bounded deque of recent events, failover totals.
#include "control/steering/events.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wansteer {

namespace {

std::string iso_time(uint64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

double rounded(double x, double scale) { return std::round(x * scale) / scale; }

}  // namespace

std::string Event::json() const {
  // Keys in this order, empty ones left out: operators grep and read these lines as they come.
  nlohmann::ordered_json j{{"time", iso_time(unix_ms)}, {"event", kind}};
  if (!link.empty()) j["link"] = link;
  if (!cls.empty()) j["class"] = cls;
  if (!from.empty()) j["from"] = from;
  if (!to.empty()) j["to"] = to;
  j["cause"] = cause;
  if (!existing_flows.empty()) j["existing_flows"] = existing_flows;
  if (budget_bytes != 0) {
    j["used_bytes"] = used_bytes;
    j["budget_bytes"] = budget_bytes;
  }
  // Loss to 0.01 %, times to the microsecond: the precision the estimators have.
  j["loss_pct"] = rounded(loss_pct, 100.0);
  j["rtt_ms"] = rounded(rtt_ms, 1000.0);
  j["jitter_ms"] = rounded(jitter_ms, 1000.0);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string events_table(const std::vector<Event>& events) {
  if (events.empty()) return "no events yet\n";
  std::string out = fmt::format("{:<24}  {:<12}  {:<20}  {}\n", "TIME", "EVENT", "LINK/CLASS", "DETAIL");
  for (const Event& e : events) {
    const std::string who = e.link.empty() ? e.cls : e.cls.empty() ? e.link : e.link + "/" + e.cls;
    std::string detail = e.from.empty() && e.to.empty() ? "" : fmt::format("{} -> {}, ", e.from, e.to);
    if (e.budget_bytes != 0)
      detail += fmt::format("{} (used {} of {} bytes)", e.cause, e.used_bytes, e.budget_bytes);
    else
      detail += fmt::format("{} (loss {}%, rtt {} ms, jitter {} ms)", e.cause, rounded(e.loss_pct, 100.0),
                            rounded(e.rtt_ms, 1000.0), rounded(e.jitter_ms, 1000.0));
    out += fmt::format("{:<24}  {:<12}  {:<20}  {}\n", iso_time(e.unix_ms), e.kind, who.empty() ? "-" : who, detail);
  }
  return out;
}

void EventLog::emit(Event e) {
  if (e.unix_ms == 0)
    e.unix_ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  fmt::print("{}\n", e.json());  // a pure JSON line: jq and log shippers read stdout as is
  std::fflush(stdout);
  if (e.kind == "steer" && !e.from.empty() && !e.to.empty() && e.from != e.to)
    failovers_[FailoverKey{e.cls, e.from, e.to, e.cause}]++;
  total_++;
  events_.push_back(std::move(e));
  while (events_.size() > keep_) events_.pop_front();
}

std::vector<Event> EventLog::recent(size_t n) const {
  size_t start = events_.size() > n ? events_.size() - n : 0;
  return std::vector<Event>(events_.begin() + static_cast<long>(start), events_.end());
}

}  // namespace wansteer
