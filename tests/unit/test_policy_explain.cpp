// wansteer --explain's scenario table on a small policy: per scenario (normal, each link down, each link out of
// the voice SLA) which link each class is on, its limit and shaper priority there, and its upstream share.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "control/operations/policy_explain.hpp"
#include "tests/unit/overlay_policy_support.hpp"

using namespace wansteer;

namespace {

const char* kPolicy =
    "name: small\n"
    "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"
    "links:\n"
    "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1, capacity: {up: 100mbit}}\n"
    "  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1, role: backup, metered: true,\n"
    "     capacity: {up: 5mbit}}\n"
    "classes:\n"
    "  - {name: voip, links: [fiber, lte], sla: voice, limit: {rate: 1mbit}}\n"
    "  - {name: m365, links: [fiber, lte], sla: interactive}\n"
    "  - {name: guest, links: [fiber, lte], on_backup: block}\n"
    "  - {name: default, links: [fiber, lte], on_backup: {limit: {rate: 2mbit}}}\n"
    "shaper: {priority: [voip, m365, default, guest]}\n"
    "rules:\n"
    "  - {class: voip, dscp: 46}\n"
    "  - {class: m365, dst: [13.107.6.152/31]}\n"
    "  - {class: guest, vlan: 0, src: [192.168.10.128/25]}\n";

Policy load() {
  PolicyResult r = parse_policy(kPolicy, "small.yaml", ".");
  INFO((r.errors.empty() ? std::string() : r.errors[0].to_string()));
  REQUIRE(r.ok());
  return *r.policy;
}

// class -> "link" (or "link blocked", or "none") in one scenario.
std::map<std::string, std::string> where(const Policy& p, const Scenario& s) {
  std::map<std::string, std::string> m;
  for (const ClassOutcome& o : s.classes) {
    std::string v = o.links.empty() ? "none" : "";
    for (const ClassOnLink& x : o.links) v += p.links[x.link].name + (x.blocked ? " blocked" : "");
    m[o.name] = v;
  }
  return m;
}

const ClassOnLink& on(const Scenario& s, const std::string& cls) {
  for (const ClassOutcome& o : s.classes)
    if (o.name == cls && !o.links.empty()) return o.links[0];
  FAIL("class " << cls << " has no link");
  static ClassOnLink none;
  return none;
}

}  // namespace

TEST_CASE("explain: scenarios and where each class goes", "[explain]") {
  const Policy p = load();
  const PolicyExplanation e = explain_policy(p, {});
  // normal, fiber down, lte down, fiber out of voice SLA, lte out of voice SLA
  REQUIRE(e.scenarios.size() == 5);
  using M = std::map<std::string, std::string>;
  CHECK(where(p, e.scenarios[0]) == M{{"voip", "fiber"}, {"m365", "fiber"}, {"guest", "fiber"}, {"default", "fiber"}});
  CHECK(e.scenarios[1].kind == Scenario::Kind::link_down);
  CHECK(e.scenarios[1].link == 0);
  CHECK(where(p, e.scenarios[1]) == M{{"voip", "lte"}, {"m365", "lte"}, {"guest", "lte blocked"}, {"default", "lte"}});
  CHECK(e.scenarios[1].classes[2].blocked());
  CHECK(where(p, e.scenarios[2]) == M{{"voip", "fiber"}, {"m365", "fiber"}, {"guest", "fiber"}, {"default", "fiber"}});
  // fiber out of the voice SLA: only voip (voice-like) leaves it.
  CHECK(e.scenarios[3].kind == Scenario::Kind::out_of_voice_sla);
  CHECK(e.scenarios[3].sla_losers == std::vector<std::string>{"voip"});
  CHECK(where(p, e.scenarios[3]) == M{{"voip", "lte"}, {"m365", "fiber"}, {"guest", "fiber"}, {"default", "fiber"}});
  CHECK_FALSE(e.scenarios[3].classes[0].fallback);
  CHECK(scenario_title(p, e.scenarios[3]).find("fiber out of the voice SLA") == 0);
}

TEST_CASE("explain: limits, priorities and upstream shares", "[explain]") {
  const Policy p = load();
  const PolicyExplanation e = explain_policy(p, {});
  const Scenario& fiber_down = e.scenarios[1];
  const ClassOnLink& voip = on(fiber_down, "voip");
  CHECK(voip.priority == 1);
  CHECK(voip.limit_bps == 1000000);
  CHECK(voip.ceiling_bps == 1000000);
  CHECK(voip.guaranteed_bps == 1000000);  // first served: all of its limit
  const ClassOnLink& m365 = on(fiber_down, "m365");
  CHECK(m365.priority == 2);
  CHECK(m365.limit_bps == 0);
  CHECK(m365.ceiling_bps == 5000000);
  CHECK(m365.guaranteed_bps == 4000000);  // 5 Mbit/s less voip's 1 Mbit/s limit
  CHECK(m365.limited_above == std::vector<std::string>{"voip"});
  const ClassOnLink& dflt = on(fiber_down, "default");
  CHECK(dflt.priority == 3);
  CHECK(dflt.limit_bps == 2000000);  // on_backup limit on lte
  CHECK(dflt.unlimited_above == std::vector<std::string>{"m365"});
  CHECK(dflt.guaranteed_bps == 0);
  // Normal operation: default unlimited on fiber.
  CHECK(on(e.scenarios[0], "default").limit_bps == 0);
  CHECK(on(e.scenarios[0], "default").ceiling_bps == 100000000);
  // The text form names the blocked class and the markdown form is a runbook section.
  const std::string text = explain_text(p, e);
  CHECK(text.find("== fiber down ==") != std::string::npos);
  CHECK(text.find("blocked: guest\n") != std::string::npos);
  const std::string md = explain_markdown(p, e);
  CHECK(md.find("### What staff should expect when the fiber fails") != std::string::npos);
  CHECK(md.find("| guest | lte | blocked |") != std::string::npos);
}

TEST_CASE("explain: a class with no link up is reported as such", "[explain]") {
  PolicyResult r = parse_policy(std::string(kPolicy).replace(std::string(kPolicy).find("guest, links: [fiber, lte]"),
                                                             26, "guest, links: [fiber]"),
                                "small.yaml", ".");
  REQUIRE(r.ok());
  const PolicyExplanation e = explain_policy(*r.policy, r.warnings);
  CHECK(where(*r.policy, e.scenarios[1])["guest"] == "none");
  CHECK(e.scenarios[1].classes[2].blocked());
  CHECK(explain_text(*r.policy, e).find("guest    -      blocked: no link it may use is up (fiber)") !=
        std::string::npos);
}

TEST_CASE("explain: a class's path through the overlay reads \"overlay via LINK\"", "[explain]") {
  test::OverlayKeyDir keys;
  std::string text =
      std::string(kPolicy).replace(std::string(kPolicy).find("classes:\n"), 9, test::overlay_section() + "classes:\n");
  text.replace(text.find("{name: m365, links: [fiber, lte]"), 32, "{name: m365, links: [fiber, lte], paths: [overlay]");
  PolicyResult r = parse_policy(text, "small.yaml", keys.dir.string());
  INFO((r.errors.empty() ? std::string() : r.errors[0].to_string()));
  REQUIRE(r.ok());
  const PolicyExplanation e = explain_policy(*r.policy, r.warnings);
  CHECK(on(e.scenarios[0], "m365").overlay);
  CHECK_FALSE(on(e.scenarios[0], "voip").overlay);
  CHECK(on(e.scenarios[1], "m365").link == 1);  // fiber down: the overlay over lte
  const std::string out = explain_text(*r.policy, e);
  CHECK(out.find("m365     overlay via fiber") != std::string::npos);
  CHECK(out.find("m365     overlay via lte") != std::string::npos);
}
