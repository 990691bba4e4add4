// The JSON that scripts read: counters, links and classes views and event lines keep their keys, key order and
// number precision, and stay valid JSON whatever text a field holds.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/operations/stats.hpp"
#include "control/policy/policy.hpp"
#include "control/steering/events.hpp"

using namespace wansteer;
using Json = nlohmann::ordered_json;

namespace {

std::vector<std::string> keys(const Json& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}

Policy office() {
  PolicyResult r = load_policy(std::string(WANSTEER_SOURCE_DIR) + "/policies/office.yaml");
  REQUIRE(r.ok());
  return std::move(*r.policy);
}

StatsView sample_view(const Policy& pol) {
  StatsView v;
  v.policy = &pol;
  v.generation = 7;
  v.lan_mac = "02:00:00:00:00:01";
  v.totals.port[0].rx_packets = 11;
  v.totals.port[1].tx_bytes = 1500;
  v.totals.class_link_packets[0][0] = 5;
  v.totals.drop[0] = 3;
  v.links.resize(pol.links.size());
  v.links[0].state = "up";
  v.links[0].cause = "said \"hi\"\nthen left";  // text that needs escaping
  v.links[0].loss_pct = 1.23456;
  v.links[0].targets.push_back(LinkView::Target{"192.0.2.1", "stamp", 0.5, 0.25, 0.25, 12.3456789, 0.1, 40});
  v.classes.resize(pol.classes.size());
  v.classes[0].links = {pol.links[0].name};
  v.classes[0].backup_seconds = 2.00049;
  v.mempool_size = 4096;
  return v;
}

}  // namespace

TEST_CASE("counters json: keys in the agreed order, values where scripts look", "[json_views]") {
  const Policy pol = office();
  const Json j = Json::parse(counters_json(sample_view(pol)));
  CHECK(keys(j) == std::vector<std::string>{"generation", "ports", "classes", "drops", "flows", "control", "workers",
                                            "lan_mac", "lan_port_id", "links", "mempool", "tcp", "nat", "fragmentation",
                                            "overlay"});
  CHECK(j["generation"] == 7);
  CHECK(keys(j["ports"]).front() == "lan");
  CHECK(j["ports"].size() == 1 + pol.links.size());
  CHECK(j["ports"]["lan"]["rx_packets"] == 11);
  CHECK(j["ports"][pol.links[0].name]["tx_bytes"] == 1500);
  CHECK(j["classes"][pol.classes[0].name]["links"][pol.links[0].name]["packets"] == 5);
  CHECK(keys(j["drops"]).front() == kDropReasonNames[0]);
  CHECK(j["drops"][kDropReasonNames[0]] == 3);
  CHECK(j["mempool"]["size"] == 4096);
  CHECK(j["flows"].contains("fast_lane"));
  CHECK(j["control"].contains("handed_to_control"));
}

TEST_CASE("links json: escaped text, three decimals, targets listed", "[json_views]") {
  const Policy pol = office();
  const Json j = Json::parse(links_json(sample_view(pol)));  // throws on invalid JSON
  CHECK(keys(j) == std::vector<std::string>{"lan_mac", "lan_port_id", "links"});
  const Json& l0 = j["links"][pol.links[0].name];
  CHECK(l0["cause"] == "said \"hi\"\nthen left");
  CHECK(l0["loss_pct"] == 1.235);
  CHECK(l0["admin"] == "up");
  CHECK(l0["allowed_for"].is_array());
  REQUIRE(l0["targets"].size() == 1);
  CHECK(l0["targets"][0]["rtt_ms"] == 12.346);
  CHECK(l0["targets"][0]["samples"] == 40);
  CHECK(keys(l0).front() == "admin");
  CHECK(keys(l0).back() == "targets");
}

TEST_CASE("classes json: per class links, SLA and backup time", "[json_views]") {
  const Policy pol = office();
  const Json j = Json::parse(classes_json(sample_view(pol)));
  CHECK(j.size() == pol.classes.size());
  const Json& c0 = j[pol.classes[0].name];
  CHECK(c0["links"] == Json::array({pol.links[0].name}));
  CHECK(c0["fallback"] == false);
  CHECK(c0["backup_seconds"] == 2.0);
  CHECK(keys(c0) == std::vector<std::string>{"links", "fallback", "sla", "max_loss_pct", "max_rtt_ms", "max_jitter_ms",
                                             "sla_ok", "backup_seconds", "no_link_drops"});
}

TEST_CASE("event json: fixed key order, empty fields left out, text escaped", "[json_views]") {
  Event e;
  e.unix_ms = 1'700'000'000'123ull;
  e.kind = "steer";
  e.cls = "voice";
  e.from = "fiber";
  e.to = "lte";
  e.cause = "sla \"loss\"";
  e.loss_pct = 5.4321;
  e.rtt_ms = 20.12345;
  const std::string line = e.json();
  const Json j = Json::parse(line);
  CHECK(keys(j) ==
        std::vector<std::string>{"time", "event", "class", "from", "to", "cause", "loss_pct", "rtt_ms", "jitter_ms"});
  CHECK(j["time"] == "2023-11-14T22:13:20.123Z");
  CHECK(j["cause"] == "sla \"loss\"");
  CHECK(j["loss_pct"] == 5.43);
  CHECK(j["rtt_ms"] == 20.123);
  CHECK(line.find('\n') == std::string::npos);  // one line per event
}
