// Rendering of `wansteerctl show overlay`: text by fmt, JSON by nlohmann::json, from the same gathered facts.
#include "control/operations/overlay_show.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wansteer {

namespace {

using Json = nlohmann::ordered_json;

// What both renderings show, with names instead of indices.
struct OverlayFacts {
  std::string last_link;                                  // "" before any message left
  bool handshake = false;                                 // a handshake has completed (the age means something)
  std::vector<std::vector<std::string>> classes_of_link;  // per link: the classes through the overlay there now
  std::vector<uint32_t> drop_reasons;                     // the overlay's (names starting overlay_)
};

OverlayFacts overlay_facts(const StatsView& v, const OverlayView& o) {
  const Policy& pol = *v.policy;
  OverlayFacts f;
  f.last_link = overlay_last_link(pol, o);
  f.handshake = overlay_handshake_done(o);
  f.classes_of_link.resize(pol.links.size());
  for (size_t l = 0; l < pol.links.size(); l++)
    for (size_t c = 0; c < pol.classes.size() && c < v.classes.size(); c++) {
      const auto& on = v.classes[c].overlay_links;
      if (std::find(on.begin(), on.end(), pol.links[l].name) != on.end())
        f.classes_of_link[l].push_back(pol.classes[c].name);
    }
  for (uint32_t r = 0; r < kDropReasonCount; r++)
    if (std::string_view(kDropReasonNames[r]).starts_with("overlay_")) f.drop_reasons.push_back(r);
  return f;
}

std::string names_or_none(const std::vector<std::string>& names) {
  return names.empty() ? "(none)" : fmt::format("{}", fmt::join(names, ","));
}

// One link's path through the tunnel: null while it is not probed (no session over it yet, no inner address).
Json path_json(const OverlayPathView& p) {
  if (!p.probing) return Json(nullptr);
  const LinkMetrics& m = p.metrics;
  return Json{{"up", p.up},
              {"loss_pct", m.loss_pct},
              {"rtt_ms", m.has_rtt ? Json(m.rtt_ms) : Json(nullptr)},
              {"jitter_ms", m.jitter_ms},
              {"probes_sent", m.probes_sent},
              {"probes_answered", m.replies}};
}

// The paths section of the text: per link, what the probes through the tunnel measure.
std::string paths_text(const Policy& pol, const OverlayView& o) {
  std::string s = fmt::format(
      "\n{:<12} {:<5} {:>7} {:>9} {:>10} {:>17}  (probes to the hub's inner address, by the "
      "link they leave on)\n",
      "PATH VIA", "STATE", "LOSS", "RTT", "JITTER", "ANSWERED/SENT");
  for (size_t l = 0; l < pol.links.size() && l < kMaxLinks; l++) {
    const OverlayPathView& p = o.paths[l];
    const LinkMetrics& m = p.metrics;
    if (!p.probing) {
      s += fmt::format("{:<12} (not probed)\n", pol.links[l].name);
      continue;
    }
    const std::string rtt = m.has_rtt ? fmt::format("{:.1f} ms", m.rtt_ms) : "-";
    s += fmt::format("{:<12} {:<5} {:>6.1f}% {:>9} {:>7.1f} ms {:>17}\n", pol.links[l].name, p.up ? "up" : "down",
                     m.loss_pct, rtt, m.jitter_ms, fmt::format("{}/{}", m.replies, m.probes_sent));
  }
  return s;
}

}  // namespace

bool overlay_handshake_done(const OverlayView& o) {
  return o.counters.handshakes_completed > 0 || o.last_handshake_age_ms > 0;
}

std::string overlay_last_link(const Policy& p, const OverlayView& o) {
  return o.last_link >= 0 && static_cast<size_t>(o.last_link) < p.links.size()
             ? p.links[static_cast<size_t>(o.last_link)].name
             : "";
}

std::string overlay_json(const StatsView& v, const OverlayView& o) {
  if (!o.enabled) return Json{{"enabled", false}}.dump();
  const OverlayFacts f = overlay_facts(v, o);
  Json links = Json::object();
  for (size_t l = 0; l < f.classes_of_link.size(); l++)
    links[v.policy->links[l].name] =
        Json{{"classes", f.classes_of_link[l]}, {"path", path_json(l < kMaxLinks ? o.paths[l] : OverlayPathView{})}};
  const wg::SessionCounters& c = o.counters;
  Json counters{{"sealed", o.sealed},
                {"opened", o.opened},
                {"keepalives_in", o.keepalives_in},
                {"handshakes_in", o.handshakes_in},
                {"initiations_sent", c.initiations_sent},
                {"responses_sent", c.responses_sent},
                {"handshakes_completed", c.handshakes_completed},
                {"rekeys", c.rekeys},
                {"cookie_replies_sent", c.cookie_replies_sent},
                {"rejected", c.rejected},
                {"keys_expired", c.keys_expired},
                {"keys_zeroed", c.keys_zeroed},
                {"duplicates_discarded", v.totals.overlay_duplicates_discarded}};
  Json drops = Json::object();
  for (uint32_t r : f.drop_reasons) drops[kDropReasonNames[r]] = v.totals.drop[r];
  Json j{{"enabled", true},
         {"hub", o.hub},
         {"public_key", o.public_key},
         {"session", o.session},
         {"last_handshake_age_ms", f.handshake ? Json(o.last_handshake_age_ms) : Json(nullptr)},
         {"last_link", f.last_link.empty() ? Json(nullptr) : Json(f.last_link)},
         {"links", std::move(links)},
         {"counters", std::move(counters)},
         {"drops", std::move(drops)}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string overlay_text(const StatsView& v, const OverlayView& o) {
  if (!o.enabled) return "overlay: not configured in the policy\n";
  const OverlayFacts f = overlay_facts(v, o);
  std::string s = fmt::format("overlay to hub {}: session {}\n", o.hub, o.session ? "up" : "down");
  s += fmt::format("  our public key:  {}  (the hub's [Peer] PublicKey for this edge)\n", o.public_key);
  s += fmt::format(
      "  last handshake:  {}\n",
      f.handshake ? fmt::format("{:.1f} s ago", static_cast<double>(o.last_handshake_age_ms) / 1000.0) : "never");
  s += fmt::format("  last sent on:    {}\n", f.last_link.empty() ? "(nothing sent yet)" : f.last_link);
  s += fmt::format("\n{:<12} {}\n", "LINK", "CLASSES THROUGH THE OVERLAY NOW");
  for (size_t l = 0; l < f.classes_of_link.size(); l++)
    s += fmt::format("{:<12} {}\n", v.policy->links[l].name, names_or_none(f.classes_of_link[l]));
  s += paths_text(*v.policy, o);
  const wg::SessionCounters& c = o.counters;
  s += fmt::format(
      "\nmessages: {} sealed, {} opened, {} keepalives in, {} handshake messages in, {} duplicates discarded\n",
      o.sealed, o.opened, o.keepalives_in, o.handshakes_in, v.totals.overlay_duplicates_discarded);
  s += fmt::format(
      "handshakes: {} initiations, {} responses, {} completed, {} rekeys, {} cookies, {} rejected, {} keys expired\n",
      c.initiations_sent, c.responses_sent, c.handshakes_completed, c.rekeys, c.cookie_replies_sent, c.rejected,
      c.keys_expired);
  s += "\nDROPS\n";
  bool any = false;
  for (uint32_t r : f.drop_reasons) {
    if (v.totals.drop[r] == 0) continue;
    any = true;
    s += fmt::format("  {:<26} {:>12}  {}\n", kDropReasonNames[r], v.totals.drop[r], kDropReasonHelp[r]);
  }
  if (!any) s += "  (none)\n";
  return s;
}

}  // namespace wansteer
