// `wansteerctl show overlay` (text and JSON), the overlay in `show classes`, the wansteer_overlay_* metrics and the
// status JSON's overlay, rendered from hand-filled views: what an operator and a script read about the hub tunnel.
#include <catch2/catch.hpp>

#include <string>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <nlohmann/json.hpp>

#include "control/operations/metrics.hpp"
#include "control/operations/overlay_show.hpp"
#include "control/operations/stats.hpp"
#include "control/operations/status_snapshot.hpp"

using namespace wansteer;
using JsonDoc = nlohmann::json;

namespace {

constexpr const char* kOurKey = "x9d5Wl0Q1VvZc3gQbJ3m2r5cUq3hY8yRk2mP1oT4sEw=";

// Two links, three classes; the overlay configured or not.
Policy two_links(bool overlay) {
  Policy p;
  p.links.resize(2);
  p.links[0].name = "fiber";
  p.links[1].name = "lte";
  p.classes.resize(3);
  p.classes[0].name = "voip";
  p.classes[1].name = "payments";
  p.classes[2].name = "default";
  p.overlay.enabled = overlay;
  return p;
}

// voip through the overlay on fiber, payments through it on fiber and lte, default direct on fiber.
StatsView plan_view(const Policy& p) {
  StatsView v;
  v.policy = &p;
  v.links.resize(2);
  v.classes.resize(3);
  v.classes[0].links = {"fiber"};
  v.classes[0].overlay_links = {"fiber"};
  v.classes[1].links = {"fiber", "lte"};
  v.classes[1].overlay_links = {"fiber", "lte"};
  v.classes[2].links = {"fiber"};
  v.totals.drop[static_cast<size_t>(DropReason::overlay_no_key)] = 4;
  v.totals.drop[static_cast<size_t>(DropReason::overlay_bad_tag)] = 2;
  v.totals.drop[static_cast<size_t>(DropReason::no_route)] = 9;  // not the overlay's
  v.totals.overlay_duplicates_discarded = 11;                    // received copies of duplicated packets
  return v;
}

OverlayView session_view() {
  OverlayView o;
  o.enabled = true;
  o.session = true;
  o.hub = "203.0.113.7:51820";
  o.public_key = kOurKey;
  o.last_link = 1;
  o.last_handshake_age_ms = 12'345;
  o.counters.initiations_sent = 3;
  o.counters.handshakes_completed = 1;
  o.counters.rejected = 5;
  o.counters.keys_expired = 6;
  o.sealed = 100;
  o.opened = 90;
  o.keepalives_in = 7;
  o.handshakes_in = 2;
  return o;
}

std::string scrape(const MetricsSnapshot& s) { return prometheus::TextSerializer().Serialize(metric_families(s)); }

}  // namespace

TEST_CASE("show overlay without an overlay says so", "[overlay_view]") {
  const Policy p = two_links(false);
  const StatsView v = plan_view(p);
  CHECK(overlay_text(v, OverlayView{}) == "overlay: not configured in the policy\n");
  CHECK(JsonDoc::parse(overlay_json(v, OverlayView{})) == JsonDoc{{"enabled", false}});
}

TEST_CASE("show overlay json: session, key, last link, classes per link, counters, overlay drops", "[overlay_view]") {
  const Policy p = two_links(true);
  const JsonDoc j = JsonDoc::parse(overlay_json(plan_view(p), session_view()));
  CHECK(j["enabled"] == true);
  CHECK(j["session"] == true);
  CHECK(j["hub"] == "203.0.113.7:51820");
  CHECK(j["public_key"] == kOurKey);
  CHECK(j["last_link"] == "lte");
  CHECK(j["last_handshake_age_ms"] == 12345);
  CHECK(j["links"]["fiber"]["classes"] == JsonDoc::array({"voip", "payments"}));
  CHECK(j["links"]["lte"]["classes"] == JsonDoc::array({"payments"}));
  const JsonDoc& c = j["counters"];
  CHECK(c["sealed"] == 100);
  CHECK(c["opened"] == 90);
  CHECK(c["keepalives_in"] == 7);
  CHECK(c["handshakes_in"] == 2);
  CHECK(c["initiations_sent"] == 3);
  CHECK(c["handshakes_completed"] == 1);
  CHECK(c["rejected"] == 5);
  CHECK(c["keys_expired"] == 6);
  CHECK(c["duplicates_discarded"] == 11);  // not among the drops: expected with duplicate:
  const std::string raw = overlay_json(plan_view(p), session_view());
  CHECK(raw.find("\"keys_zeroed\"") < raw.find("\"duplicates_discarded\""));  // a new key goes last
  CHECK(j["drops"]["overlay_no_key"] == 4);
  CHECK(j["drops"]["overlay_bad_tag"] == 2);
  CHECK(j["drops"]["overlay_replayed"] == 0);  // every overlay reason, zero or not
  CHECK_FALSE(j["drops"].contains("no_route"));
  for (const auto& [name, n] : j["drops"].items()) CHECK(name.rfind("overlay_", 0) == 0);
}

TEST_CASE("show overlay json before any handshake: no age, no last link", "[overlay_view]") {
  const Policy p = two_links(true);
  OverlayView o;
  o.enabled = true;
  o.hub = "203.0.113.7:51820";
  o.public_key = kOurKey;
  const JsonDoc j = JsonDoc::parse(overlay_json(plan_view(p), o));
  CHECK(j["session"] == false);
  CHECK(j["last_handshake_age_ms"].is_null());
  CHECK(j["last_link"].is_null());
  const std::string text = overlay_text(plan_view(p), o);
  CHECK(text.find("session down") != std::string::npos);
  CHECK(text.find("last handshake:  never") != std::string::npos);
  CHECK(text.find("(nothing sent yet)") != std::string::npos);
}

TEST_CASE("show overlay text: the hub, our key, the link, the classes and the drops that happened", "[overlay_view]") {
  const Policy p = two_links(true);
  const std::string t = overlay_text(plan_view(p), session_view());
  CHECK(t.rfind("overlay to hub 203.0.113.7:51820: session up\n", 0) == 0);
  CHECK(t.find(std::string("our public key:  ") + kOurKey) != std::string::npos);
  CHECK(t.find("last handshake:  12.3 s ago") != std::string::npos);
  CHECK(t.find("last sent on:    lte") != std::string::npos);
  CHECK(t.find("\nfiber        voip,payments\n") != std::string::npos);
  CHECK(t.find("\nlte          payments\n") != std::string::npos);
  CHECK(t.find("100 sealed, 90 opened, 7 keepalives in, 2 handshake messages in, 11 duplicates discarded") !=
        std::string::npos);
  CHECK(t.find("3 initiations, 0 responses, 1 completed, 0 rekeys, 0 cookies, 5 rejected, 6 keys expired") !=
        std::string::npos);
  CHECK(t.find("overlay_no_key") != std::string::npos);
  CHECK(t.find("overlay_bad_tag") != std::string::npos);
  CHECK(t.find("overlay_replayed") == std::string::npos);  // text: only reasons that dropped something
  CHECK(t.find("no_route") == std::string::npos);
}

TEST_CASE("show classes marks links a class runs through the overlay on", "[overlay_view]") {
  const Policy with = two_links(true);
  const std::string t = classes_text(plan_view(with));
  CHECK(t.find("fiber (overlay),lte (overlay)") != std::string::npos);
  CHECK(t.find("\ndefault      fiber ") != std::string::npos);
  const JsonDoc j = JsonDoc::parse(classes_json(plan_view(with)));
  CHECK(j["payments"]["links"] == JsonDoc::array({"fiber", "lte"}));  // names only, as scripts read them
  CHECK(j["payments"]["overlay_links"] == JsonDoc::array({"fiber", "lte"}));
  CHECK(j["default"]["overlay_links"] == JsonDoc::array());
  const Policy without = two_links(false);
  CHECK_FALSE(JsonDoc::parse(classes_json(plan_view(without)))["voip"].contains("overlay_links"));
}

TEST_CASE("overlay metrics: only with an overlay; handshake age only after a handshake", "[overlay_view]") {
  MetricsSnapshot s;
  CHECK(scrape(s).find("wansteer_overlay_") == std::string::npos);
  s.overlay = MetricsSnapshot::Overlay{};
  s.overlay->handshakes = {{"initiation_sent", 3}, {"completed", 0}};
  s.overlay->messages = {{"sealed", 100}, {"handshake_in", 2}};
  std::string out = scrape(s);
  CHECK(out.find("\nwansteer_overlay_session_up 0\n") != std::string::npos);
  CHECK(out.find("wansteer_overlay_last_handshake_age_seconds") == std::string::npos);
  CHECK(out.find("wansteer_overlay_handshakes_total{event=\"initiation_sent\"} 3") != std::string::npos);
  CHECK(out.find("wansteer_overlay_messages_total{direction=\"sealed\"} 100") != std::string::npos);
  CHECK(out.find("# TYPE wansteer_overlay_messages_total counter") != std::string::npos);
  s.overlay->session_up = true;
  s.overlay->last_handshake_age_seconds = 12.5;
  out = scrape(s);
  CHECK(out.find("\nwansteer_overlay_session_up 1\n") != std::string::npos);
  CHECK(out.find("\nwansteer_overlay_last_handshake_age_seconds 12.5\n") != std::string::npos);
}

TEST_CASE("status json carries the overlay only when there is one", "[overlay_view]") {
  StatusSnapshot s;
  CHECK_FALSE(JsonDoc::parse(status_json(s)).contains("overlay"));
  s.overlay = StatusSnapshot::Overlay{"203.0.113.7:51820", kOurKey, false, "", std::nullopt};
  JsonDoc o = JsonDoc::parse(status_json(s))["overlay"];
  CHECK(o["hub"] == "203.0.113.7:51820");
  CHECK(o["public_key"] == kOurKey);
  CHECK(o["session"] == false);
  CHECK(o["last_link"].is_null());
  CHECK(o["last_handshake_age_ms"].is_null());
  s.overlay = StatusSnapshot::Overlay{"203.0.113.7:51820", kOurKey, true, "fiber", 250};
  o = JsonDoc::parse(status_json(s))["overlay"];
  CHECK(o["last_link"] == "fiber");
  CHECK(o["last_handshake_age_ms"] == 250);
}
