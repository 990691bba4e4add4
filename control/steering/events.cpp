// EventLog implementation: JSON lines via fmt, a bounded deque of recent events, failover totals.
#include "control/steering/events.hpp"

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

namespace wansteer {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string iso_time(uint64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

}  // namespace

std::string Event::json() const {
  std::string s = fmt::format("{{\"time\":{},\"event\":{}", quoted(iso_time(unix_ms)), quoted(kind));
  if (!link.empty()) s += ",\"link\":" + quoted(link);
  if (!cls.empty()) s += ",\"class\":" + quoted(cls);
  if (!from.empty()) s += ",\"from\":" + quoted(from);
  if (!to.empty()) s += ",\"to\":" + quoted(to);
  s += ",\"cause\":" + quoted(cause);
  s += fmt::format(",\"loss_pct\":{:.2f},\"rtt_ms\":{:.3f},\"jitter_ms\":{:.3f}}}", loss_pct, rtt_ms, jitter_ms);
  return s;
}

void EventLog::emit(Event e) {
  if (e.unix_ms == 0)
    e.unix_ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
  fmt::print("wansteer: event {}\n", e.json());
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
