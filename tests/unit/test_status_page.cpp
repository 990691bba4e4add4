// Status page tests: the history ring stays bounded and in order, every policy string is escaped into the HTML,
// the JSON carries the same content, the budget hook renders "no metered links" when empty, the real control
// plane reports a downed link and the classes moved off it, and the HTTP listener serves the pages read-only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <future>
#include <string>

#include <nlohmann/json.hpp>

#include "control/operations/link_history.hpp"
#include "control/operations/metrics.hpp"
#include "control/operations/status_snapshot.hpp"
#include "tests/unit/control_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

StatusSnapshot hostile_snapshot() {
  StatusSnapshot s;
  s.site = "<script>alert('site')</script>";
  s.version = "1.0";
  s.unix_ms = 1700000000000;
  StatusSnapshot::Link l;
  l.name = "fi<b>er";
  l.role = "primary";
  l.state = "down";
  l.cause = "probe_timeout \"&\"";
  l.history = {{1, LinkSample::up, 0, 10, 1}, {2, LinkSample::down, 100, 0, 0}};
  s.links = {l};
  StatusSnapshot::Class c;
  c.name = "vo\"ip";
  c.blocked = true;
  c.why = "no allowed link usable: fi<b>er down";
  s.classes = {c};
  Event e;
  e.unix_ms = 1700000000000;
  e.kind = "link_state";
  e.link = "fi<b>er";
  e.from = "up";
  e.to = "down";
  e.cause = "<img src=x>";
  s.events = {e};
  return s;
}

// One HTTP/1.0 request over a real socket; returns the whole response (status line, headers, body), or a line
// starting "error:" (no Catch assertions here: it also runs on another thread).
std::string http_request(int port, const std::string& method, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "error: socket";
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string req = method + " " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    out = "error: connect or write";
  } else {
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// A request on another thread (as a browser would) while this one plays the control loop until it is answered.
std::string fetch_while_serving(MetricsExporter& e, const std::string& method, const std::string& path,
                                const StatusSnapshot& snap) {
  auto f = std::async(std::launch::async, [&] { return http_request(e.port(), method, path); });
  while (f.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
    e.serve_status_pending([&] { return snap; });
    e.serve_pending([] { return MetricsSnapshot{}; });
  }
  return f.get();
}

}  // namespace

TEST_CASE("link history keeps the last kSamples per link, oldest first, one per period", "[status]") {
  LinkHistory h;
  CHECK(h.due(0));
  for (uint64_t i = 0; i < LinkHistory::kSamples + 30; i++) {
    const uint64_t now = i * LinkHistory::kPeriodMs;
    REQUIRE(h.due(now));
    h.record(now, {{i, LinkSample::up, 0, static_cast<float>(i), 0}, {i, LinkSample::down, 0, 0, 0}});
    CHECK_FALSE(h.due(now + LinkHistory::kPeriodMs - 1));
  }
  const auto s = h.samples(0);
  REQUIRE(s.size() == LinkHistory::kSamples);
  CHECK(s.front().unix_ms == 30);
  CHECK(s.back().rtt_ms == static_cast<float>(LinkHistory::kSamples + 29));
  CHECK(h.samples(1).back().state == LinkSample::down);
  CHECK(h.samples(2).empty());
  h.record(1000000, {{1, LinkSample::up, 0, 0, 0}});  // one link fewer: starts over
  CHECK(h.samples(0).size() == 1);
  CHECK(sample_state("degraded") == LinkSample::degraded);
  CHECK(std::string(sample_state_name(LinkSample::up)) == "up");
}

TEST_CASE("the status page escapes every string and needs nothing from elsewhere", "[status]") {
  const std::string html = status_html(hostile_snapshot());
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(&#39;site&#39;)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("fi&lt;b&gt;er") != std::string::npos);
  CHECK(html.find("vo&quot;ip") != std::string::npos);
  CHECK(html.find("probe_timeout &quot;&amp;&quot;") != std::string::npos);
  CHECK(html.find("http://") == std::string::npos);  // no external asset of any kind
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<svg class=\"history\" data-samples=\"2\"") != std::string::npos);
  // the newest sample at the right edge: 120 slots of 2 px, the last (down, red) one at x = 238
  CHECK(html.find(R"(<rect x="238" y="40" width="2" height="8" fill="#d33"/>)") != std::string::npos);
  CHECK(html.find("data-blocked=\"1\"") != std::string::npos);
  CHECK(html.find("http-equiv=\"refresh\"") != std::string::npos);
  CHECK(html.find("<p id=\"budgets\">no metered links</p>") != std::string::npos);
  CHECK(html_escape("a&b<c>'\"") == "a&amp;b&lt;c&gt;&#39;&quot;");
}

TEST_CASE("status.json carries links with history, classes, events and budgets", "[status]") {
  StatusSnapshot s = hostile_snapshot();
  s.budgets = {{"lte", 5000000, 20000000, "2026-12-01", "block guest"}};
  const auto j = nlohmann::json::parse(status_json(s));
  CHECK(j["site"] == s.site);
  REQUIRE(j["links"].size() == 1);
  CHECK(j["links"][0]["name"] == "fi<b>er");
  CHECK(j["links"][0]["state"] == "down");
  REQUIRE(j["links"][0]["history"].size() == 2);
  CHECK(j["links"][0]["history"][1]["state"] == "down");
  CHECK(j["links"][0]["history"][1]["loss_pct"] == 100.0);
  CHECK(j["classes"][0]["blocked"] == true);
  CHECK(j["events"][0]["cause"] == "<img src=x>");
  CHECK(j["budgets"][0]["budget_bytes"] == 20000000);
  CHECK(status_html(s).find("block guest") != std::string::npos);
}

TEST_CASE("the control plane's status snapshot shows a downed link and where the classes went", "[status]") {
  ControlRig rig([] {
    Policy p = rig_office_skeleton();
    p.name = "office";
    p.classes = {ClassSpec{"voip", SteerMode::priority, {0, 1}, {}}, ClassSpec{"guest", SteerMode::priority, {0}, {}},
                 ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
    return p;
  }());
  StatusSnapshot s = rig.cp->status_snapshot();
  REQUIRE(s.links.size() == 2);
  CHECK(s.site == "office");
  CHECK(s.links[0].state == "up");
  CHECK(s.classes[0].links == std::vector<std::string>{"fiber"});
  rig.cp->tick();  // the first history sample is due at once
  CHECK(rig.cp->status_snapshot().links[0].history.size() == 1);
  REQUIRE(rig.cp->handle_command("link down fiber") == "link fiber: admin down\n");
  s = rig.cp->status_snapshot();
  CHECK(s.links[0].state == "down");
  CHECK_FALSE(s.links[0].admin_up);
  CHECK(s.classes[0].links == std::vector<std::string>{"lte"});
  CHECK_FALSE(s.classes[0].blocked);
  CHECK(s.classes[1].blocked);
  CHECK_THAT(s.classes[1].why, Catch::Contains("fiber down"));
  REQUIRE_FALSE(s.events.empty());
  CHECK(s.events.back().cause == "admin_down");
  CHECK(s.budgets.empty());
}

TEST_CASE("the exporter serves the status page, its JSON and /metrics, read-only", "[status]") {
  std::string err;
  auto e = MetricsExporter::start("127.0.0.1:0", &err);
  REQUIRE(e != nullptr);
  const StatusSnapshot snap = hostile_snapshot();
  for (const char* path : {"/", "/status"}) {
    const std::string r = fetch_while_serving(*e, "GET", path, snap);
    CHECK(r.rfind("HTTP/1.1 200", 0) == 0);
    CHECK_THAT(r, Catch::Contains("Content-Type: text/html; charset=utf-8"));
    CHECK_THAT(r, Catch::Contains("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"));
    CHECK_THAT(r, Catch::Contains("fi&lt;b&gt;er"));
  }
  std::string r = fetch_while_serving(*e, "GET", "/status.json?x=1", snap);
  CHECK_THAT(r, Catch::Contains("Content-Type: application/json"));
  const auto j = nlohmann::json::parse(r.substr(r.find("\r\n\r\n") + 4));
  CHECK(j["links"][0]["name"] == "fi<b>er");
  r = fetch_while_serving(*e, "GET", "/metrics", snap);
  CHECK_THAT(r, Catch::Contains("text/plain; version=0.0.4"));
  CHECK_THAT(r, Catch::Contains("wansteer_exporter_stale_scrapes_total 0"));
  CHECK(http_request(e->port(), "GET", "/etc/passwd").rfind("HTTP/1.1 404", 0) == 0);
  r = http_request(e->port(), "POST", "/status");
  CHECK(r.rfind("HTTP/1.1 405", 0) == 0);
  CHECK_THAT(r, Catch::Contains("Allow: GET, HEAD"));
  r = fetch_while_serving(*e, "HEAD", "/status", snap);
  CHECK(r.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(r.find("<html") == std::string::npos);
}
