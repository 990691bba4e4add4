// status_json: the status page's content as JSON (GET /status.json), the same snapshot the HTML shows.
#include <nlohmann/json.hpp>

#include "control/operations/status_snapshot.hpp"

namespace wansteer {

namespace {

using Json = nlohmann::ordered_json;

Json link_json(const StatusSnapshot::Link& l) {
  Json history = Json::array();
  for (const LinkSample& s : l.history)
    history.push_back({{"unix_ms", s.unix_ms},
                       {"state", sample_state_name(s.state)},
                       {"loss_pct", s.loss_pct},
                       {"rtt_ms", s.rtt_ms},
                       {"jitter_ms", s.jitter_ms}});
  return {{"name", l.name},           {"role", l.role},
          {"state", l.state},         {"cause", l.cause},
          {"admin_up", l.admin_up},   {"probing", l.probing},
          {"loss_pct", l.loss_pct},   {"rtt_ms", l.rtt_ms},
          {"jitter_ms", l.jitter_ms}, {"history", std::move(history)}};
}

Json class_json(const StatusSnapshot::Class& c) {
  return {{"name", c.name}, {"links", c.links},       {"blocked", c.blocked},
          {"why", c.why},   {"fallback", c.fallback}, {"sla", c.sla}};
}

}  // namespace

std::string status_json(const StatusSnapshot& s) {
  Json j{{"site", s.site}, {"version", s.version}, {"unix_ms", s.unix_ms}, {"policy_generation", s.policy_generation}};
  j["links"] = Json::array();
  for (const auto& l : s.links) j["links"].push_back(link_json(l));
  j["classes"] = Json::array();
  for (const auto& c : s.classes) j["classes"].push_back(class_json(c));
  j["events"] = Json::array();
  for (const Event& e : s.events) j["events"].push_back(Json::parse(e.json()));
  j["budgets"] = Json::array();
  for (const auto& b : s.budgets)
    j["budgets"].push_back({{"link", b.link},
                            {"used_bytes", b.used_bytes},
                            {"budget_bytes", b.budget_bytes},
                            {"period_ends", b.period_ends},
                            {"action", b.action}});
  if (const auto& o = s.overlay)  // only with an overlay: older readers never see the key
    j["overlay"] = {
        {"hub", o->hub},
        {"public_key", o->public_key},
        {"session", o->session},
        {"last_link", o->last_link.empty() ? Json(nullptr) : Json(o->last_link)},
        {"last_handshake_age_ms", o->last_handshake_age_ms ? Json(*o->last_handshake_age_ms) : Json(nullptr)}};
  // Names come from the policy file: a byte that is not UTF-8 becomes U+FFFD instead of failing the page.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace wansteer
