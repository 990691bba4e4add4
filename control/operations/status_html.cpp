// status_html: the status page for offices without Grafana. One self-contained HTML document: inline CSS, inline
// SVG graphs drawn here, a meta refresh; no script, font or image from anywhere else.
#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "control/operations/status_snapshot.hpp"

namespace wansteer {

namespace {

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:1.5em;color:#222;background:#fafafa}"
    "h1{font-size:1.4em;margin:0}h2{font-size:1.1em;margin-top:1.4em}"
    "table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;padding:.3em .6em;"
    "text-align:left;vertical-align:middle}th{background:#eee}.meta{color:#666;font-size:.85em}"
    ".up{background:#c8f0c8}.degraded{background:#ffe6a6}.down{background:#f6b8b8}"
    ".blocked{background:#f6b8b8}small{color:#555}svg{display:block}"
    ".event td:first-child{white-space:nowrap}";

std::string clock_time(uint64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char* state_colour(LinkSample::State s) {
  return s == LinkSample::up ? "#3a3" : s == LinkSample::degraded ? "#e90" : "#d33";
}

// The polyline of one measurement over the samples, scaled so that `top` is the graph's top edge; the oldest sample
// at x0, the newest at the right edge.
std::string polyline(const std::vector<LinkSample>& h, float LinkSample::*field, double top, int x0, int step,
                     int height, const char* colour) {
  std::string points;
  for (size_t i = 0; i < h.size(); i++) {
    const double v = std::clamp(static_cast<double>(h[i].*field) / top, 0.0, 1.0);
    points += fmt::format("{},{:.1f} ", x0 + static_cast<int>(i) * step + step / 2, height - v * height);
  }
  return fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)", colour, points);
}

// History graph: RTT (blue) and loss (red) as lines, the state as a coloured strip below them.
std::string history_svg(const StatusSnapshot::Link& l) {
  constexpr int kStep = 2, kPlot = 40, kStrip = 8;
  const int width = static_cast<int>(LinkHistory::kSamples) * kStep;
  const auto& h = l.history;
  double rtt_top = 1, loss_top = 10;
  for (const LinkSample& s : h) {
    rtt_top = std::max(rtt_top, static_cast<double>(s.rtt_ms));
    loss_top = std::max(loss_top, static_cast<double>(s.loss_pct));
  }
  std::string svg =
      fmt::format(R"(<svg class="history" data-samples="{}" width="{}" height="{}" viewBox="0 0 {} {}" role="img">)"
                  R"(<title>{}: last {} s; top of graph: RTT {:.1f} ms, loss {:.0f} %</title>)"
                  R"(<rect width="{}" height="{}" fill="#fff" stroke="#ddd"/>)",
                  h.size(), width, kPlot + kStrip, width, kPlot + kStrip, html_escape(l.name), h.size(), rtt_top,
                  loss_top, width, kPlot);
  const int x0 = width - static_cast<int>(h.size()) * kStep;  // right-aligned: a young history starts mid-graph
  for (size_t i = 0; i < h.size(); i++)
    svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>)", x0 + static_cast<int>(i) * kStep,
                       kPlot, kStep, kStrip, state_colour(h[i].state));
  if (!h.empty()) {
    svg += polyline(h, &LinkSample::rtt_ms, rtt_top, x0, kStep, kPlot, "#26c");
    svg += polyline(h, &LinkSample::loss_pct, loss_top, x0, kStep, kPlot, "#d33");
  }
  svg += "</svg>";
  return svg + fmt::format("<small>top: RTT {:.1f} ms (blue), loss {:.0f} % (red)</small>", rtt_top, loss_top);
}

std::string links_section(const StatusSnapshot& s) {
  std::string out =
      "<h2>Links</h2><table id=\"links\"><tr><th>link</th><th>role</th><th>state</th><th>loss</th><th>RTT</th>"
      "<th>jitter</th><th>last 2 minutes</th></tr>";
  for (const auto& l : s.links) {
    const std::string name = html_escape(l.name), state = html_escape(l.state);
    std::string note = html_escape(l.cause);
    if (!l.admin_up) note += note.empty() ? "admin down" : ", admin down";
    if (!l.probing) note += note.empty() ? "not probed" : ", not probed";
    out += fmt::format(
        R"(<tr class="link" data-link="{}" data-state="{}"><td>{}</td><td>{}</td><td class="{}">{}<br><small>{}</small>)"
        R"(</td><td>{:.1f} %</td><td>{:.1f} ms</td><td>{:.1f} ms</td><td>{}</td></tr>)",
        name, state, name, html_escape(l.role), state, state, note, l.loss_pct, l.rtt_ms, l.jitter_ms, history_svg(l));
  }
  return out + "</table>";
}

std::string classes_section(const StatusSnapshot& s) {
  std::string out =
      "<h2>Classes</h2><table id=\"classes\"><tr><th>class</th><th>runs on</th><th>SLA</th>"
      "<th>note</th></tr>";
  for (const auto& c : s.classes) {
    std::string links;
    for (const auto& l : c.links) links += (links.empty() ? "" : ", ") + html_escape(l);
    const std::string where = c.blocked ? "blocked" : links;
    out += fmt::format(
        R"(<tr class="class" data-class="{}" data-links="{}" data-blocked="{}"><td>{}</td><td class="{}">{}</td>)"
        R"(<td>{}</td><td>{}</td></tr>)",
        html_escape(c.name), links, c.blocked ? 1 : 0, html_escape(c.name), c.blocked ? "blocked" : "", where,
        html_escape(c.sla), html_escape(c.why));
  }
  return out + "</table>";
}

std::string budgets_section(const StatusSnapshot& s) {
  std::string out = "<h2>Data budget</h2>";
  if (s.budgets.empty()) return out + "<p id=\"budgets\">no metered links</p>";
  out +=
      "<table id=\"budgets\"><tr><th>link</th><th>used</th><th>budget</th><th>period ends</th>"
      "<th>at the limit</th></tr>";
  for (const auto& b : s.budgets)
    out += fmt::format(
        "<tr class=\"budget\" data-link=\"{}\"><td>{}</td><td>{:.1f} MB</td><td>{:.1f} "
        "MB</td><td>{}</td><td>{}</td></tr>",
        html_escape(b.link), html_escape(b.link), static_cast<double>(b.used_bytes) / 1e6,
        static_cast<double>(b.budget_bytes) / 1e6, html_escape(b.period_ends), html_escape(b.action));
  return out + "</table>";
}

std::string events_section(const StatusSnapshot& s) {
  std::string out = "<h2>Recent events</h2>";
  if (s.events.empty()) return out + "<p id=\"events\">no events yet</p>";
  out += "<table id=\"events\"><tr><th>time</th><th>event</th><th>link/class</th><th>detail</th></tr>";
  for (auto it = s.events.rbegin(); it != s.events.rend(); ++it) {  // newest first
    const Event& e = *it;
    const std::string who = e.link.empty() ? e.cls : e.cls.empty() ? e.link : e.link + "/" + e.cls;
    std::string detail = e.from.empty() && e.to.empty() ? "" : e.from + " \u2192 " + e.to + ", ";
    detail +=
        fmt::format("{} (loss {:.1f} %, RTT {:.1f} ms, jitter {:.1f} ms)", e.cause, e.loss_pct, e.rtt_ms, e.jitter_ms);
    out += fmt::format(R"(<tr class="event"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>)", clock_time(e.unix_ms),
                       html_escape(e.kind), html_escape(who), html_escape(detail));
  }
  return out + "</table>";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string status_html(const StatusSnapshot& s) {
  const std::string site = html_escape(s.site);
  std::string out = fmt::format(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"refresh\" content=\"{}\"><meta name=\"viewport\" content=\"width=device-width\">"
      "<title>wansteer: {}</title><style>{}</style></head><body>"
      "<h1>wansteer &mdash; {}</h1><p class=\"meta\" id=\"generated\" data-unix-ms=\"{}\">{} &middot; version {} "
      "&middot; policy generation {} &middot; read-only, refreshes every {} s &middot; "
      "<a href=\"status.json\">status.json</a> &middot; <a href=\"metrics\">metrics</a></p>",
      kStatusRefreshSeconds, site, kStyle, site, s.unix_ms, clock_time(s.unix_ms), html_escape(s.version),
      s.policy_generation, kStatusRefreshSeconds);
  out += links_section(s);
  out += classes_section(s);
  out += budgets_section(s);
  out += events_section(s);
  return out + "</body></html>\n";
}

}  // namespace wansteer
