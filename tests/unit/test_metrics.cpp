// Exporter tests: a MetricsSnapshot rendered through the exporter's Collectable and prometheus-cpp's
// TextSerializer has the agreed names, labels and units, every link/class series, cumulative histogram
// buckets; the scrape/control hand-over delivers fresh snapshots and falls back to the last one on timeout.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <fmt/format.h>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "control/operations/metrics.hpp"
#include "control/policy/policy.hpp"

using namespace wansteer;

namespace {

MetricsSnapshot sample_snapshot() {
  MetricsSnapshot s;
  MetricsSnapshot::Link fiber;
  fiber.name = "fiber";
  fiber.state = "degraded";
  fiber.admin_up = true;
  fiber.loss_ratio = 0.02;
  fiber.rtt_seconds = 0.0125;
  fiber.rx_bytes = 1500;
  fiber.egress_queue_packets = {3};  // only the first class given: the others must still appear, as 0
  MetricsSnapshot::Link lte;
  lte.name = "lte";
  lte.role = "backup";
  lte.state = "down";
  s.links = {fiber, lte};
  MetricsSnapshot::Class voip;
  voip.name = "voip";
  voip.per_link = {{10, 2000}, {4, 800}};
  voip.active_links = {"fiber"};
  voip.sla_fallback = true;
  MetricsSnapshot::Class dflt;
  dflt.name = "default";  // per_link left empty: zeros for every link
  s.classes = {voip, dflt};
  s.class_drops = {{"voip", "lte", "meter", 7}};
  s.failovers = {{"voip", "fiber", "lte", "loss", 2}};
  s.failover_duration.cumulative = {0, 1, 1, 2, 2, 2, 2, 2, 2, 2};
  s.failover_duration.count = 3;  // one failover took longer than 5 s
  s.failover_duration.sum = 7.2;
  s.workers = {{0, 100, 1000, 10, 0, 0, 5, 1}, {1, 50, 900, 9, 0, 0, 2, 0}};
  s.drops = {{"no_route", 4}, {"tx_full", 0}};
  s.policy_generation = 3;
  s.reloads_ok = 2;
  s.reloads_failed = 1;
  s.version = "9.9.9";
  s.arp = {7, 5, 2, 3, 1, 42};
  return s;
}

std::string render(const std::vector<prometheus::MetricFamily>& f) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, f);
  return out.str();
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

// Collect() on another thread (as the HTTP server does) while this one plays the control loop.
std::vector<prometheus::MetricFamily> scrape(MetricsExporter& e, const MetricsSnapshot& snap, int* built = nullptr) {
  auto c = e.collectable();
  auto fut = std::async(std::launch::async, [c] { return c->Collect(); });
  while (fut.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready) {
    if (e.serve_pending([&] { return snap; }) && built) ++*built;
  }
  return fut.get();
}

}  // namespace

TEST_CASE("a snapshot renders with the agreed names, labels and units", "[metrics]") {
  std::string t = render(metric_families(sample_snapshot()));
  // enum pattern: one series per state, 1 for the current one
  CHECK(has_line(t, R"(wansteer_link_state{link="fiber",state="up"} 0)"));
  CHECK(has_line(t, R"(wansteer_link_state{link="fiber",state="degraded"} 1)"));
  CHECK(has_line(t, R"(wansteer_link_state{link="lte",state="down"} 1)"));
  CHECK(has_line(t, R"(wansteer_link_up{link="fiber"} 1)"));
  CHECK(has_line(t, R"(wansteer_link_up{link="lte"} 0)"));
  CHECK(has_line(t, R"(wansteer_link_admin_up{link="lte"} 0)"));
  CHECK(has_line(t, R"(wansteer_link_info{link="lte",role="backup"} 1)"));
  CHECK(has_line(t, R"(wansteer_link_loss_ratio{link="fiber"} 0.02)"));
  CHECK(has_line(t, R"(wansteer_link_rtt_seconds{link="fiber"} 0.0125)"));
  CHECK(has_line(t, R"(wansteer_link_rx_bytes_total{link="fiber"} 1500)"));
  CHECK(has_line(t, "# TYPE wansteer_link_rx_bytes_total counter"));
  CHECK(has_line(t, "# TYPE wansteer_link_rtt_seconds gauge"));
  CHECK(has_line(t, R"(wansteer_egress_queue_depth_packets{link="fiber",class="voip"} 3)"));
  CHECK(has_line(t, R"(wansteer_egress_queue_depth_packets{link="fiber",class="default"} 0)"));
  CHECK(has_line(t, R"(wansteer_class_link_packets_total{class="voip",link="lte"} 4)"));
  CHECK(has_line(t, R"(wansteer_class_link_bytes_total{class="voip",link="fiber"} 2000)"));
  CHECK(has_line(t, R"(wansteer_class_active_link{class="voip",link="fiber"} 1)"));
  CHECK(has_line(t, R"(wansteer_class_active_link{class="voip",link="lte"} 0)"));
  CHECK(has_line(t, R"(wansteer_class_sla_fallback{class="voip"} 1)"));
  CHECK(has_line(t, R"(wansteer_class_drops_total{class="voip",link="lte",reason="meter"} 7)"));
  CHECK(has_line(t, R"(wansteer_failovers_total{class="voip",from="fiber",to="lte",cause="loss"} 2)"));
  CHECK(has_line(t, R"(wansteer_worker_packets_total{worker="1"} 50)"));
  CHECK(has_line(t, R"(wansteer_flow_cache_entries{worker="0"} 5)"));
  CHECK(has_line(t, R"(wansteer_worker_naps_total{worker="0"} 0)"));
  CHECK(has_line(t, R"(wansteer_drops_total{reason="no_route"} 4)"));
  CHECK(has_line(t, R"(wansteer_drops_total{reason="tx_full"} 0)"));
  CHECK(has_line(t, "wansteer_policy_generation 3"));
  CHECK(has_line(t, R"(wansteer_policy_reloads_total{result="ok"} 2)"));
  CHECK(has_line(t, R"(wansteer_policy_reloads_total{result="failed"} 1)"));
  CHECK(has_line(t, R"(wansteer_build_info{version="9.9.9"} 1)"));
  CHECK(has_line(t, "wansteer_arp_requests_sent_total 7"));
  CHECK(has_line(t, "wansteer_arp_replies_sent_total 5"));
  CHECK(has_line(t, "wansteer_arp_ignored_total 2"));
  CHECK(has_line(t, "wansteer_arp_held_sent_total 3"));
  CHECK(has_line(t, "wansteer_arp_held_packets 1"));
  CHECK(has_line(t, "wansteer_lan_neighbor_entries 42"));
}

TEST_CASE("every configured link and class has its series even when zero", "[metrics]") {
  std::string t = render(metric_families(sample_snapshot()));
  for (const char* c : {"voip", "default"}) {
    for (const char* l : {"fiber", "lte"}) {
      for (const char* m :
           {"wansteer_class_link_packets_total", "wansteer_class_link_bytes_total", "wansteer_class_active_link"})
        CHECK(t.find(fmt::format(R"({}{{class="{}",link="{}"}} )", m, c, l)) != std::string::npos);
      CHECK(t.find(fmt::format(R"(wansteer_egress_drops_total{{link="{}",class="{}"}})", l, c)) != std::string::npos);
    }
    CHECK(t.find(fmt::format(R"(wansteer_class_no_link_drops_total{{class="{}"}})", c)) != std::string::npos);
    CHECK(t.find(fmt::format(R"(wansteer_class_backup_seconds_total{{class="{}"}})", c)) != std::string::npos);
  }
  for (const char* l : {"fiber", "lte"})
    for (const char* m :
         {"wansteer_link_probes_sent_total", "wansteer_link_probes_lost_total", "wansteer_link_jitter_seconds",
          "wansteer_link_rtt_max_seconds", "wansteer_link_tx_packets_total", "wansteer_link_tx_bytes_total",
          "wansteer_link_rx_packets_total"})
      CHECK(t.find(fmt::format(R"({}{{link="{}"}})", m, l)) != std::string::npos);
}

TEST_CASE("metric names follow Prometheus conventions", "[metrics]") {
  const std::set<std::string> units = {"_total", "_seconds", "_bytes",      "_ratio",   "_packets", "_mbufs",   "_info",
                                       "_up",    "_state",   "_generation", "_entries", "_link",    "_fallback"};
  for (const auto& f : metric_families(sample_snapshot())) {
    INFO(f.name);
    CHECK(std::regex_match(f.name, std::regex("wansteer_[a-z0-9_]+")));
    bool is_counter = f.type == prometheus::MetricType::Counter;
    bool ends_total = f.name.size() > 6 && f.name.ends_with("_total");
    CHECK(is_counter == ends_total);  // counters and only counters end in _total
    bool known_suffix = false;
    for (const auto& u : units) known_suffix |= f.name.ends_with(u);
    CHECK((known_suffix || f.type == prometheus::MetricType::Histogram));
    CHECK(f.name.find("milli") == std::string::npos);  // base units only
    for (const auto& m : f.metric)
      for (const auto& l : m.label)
        CHECK(std::set<std::string>{"link", "class", "reason", "worker", "from", "to", "cause", "state", "role",
                                    "result", "version"}
                  .count(l.name) == 1);
  }
}

TEST_CASE("the failover histogram has cumulative buckets ending in +Inf = count", "[metrics]") {
  MetricsSnapshot s = sample_snapshot();
  s.failover_duration.cumulative = {0, 2, 1, 2, 2, 2, 2, 2, 2, 2};  // a producer slip: must not go down
  std::string t = render(metric_families(s));
  CHECK(has_line(t, "# TYPE wansteer_failover_duration_seconds histogram"));
  std::vector<std::string> les;
  std::vector<uint64_t> counts;
  std::regex re(R"re(^wansteer_failover_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$)re");
  std::istringstream in(t);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, re)) {
      les.push_back(m[1]);
      counts.push_back(std::stoull(m[2]));
    }
  }
  REQUIRE(les.size() == kFailoverDurationBuckets.size() + 1);
  CHECK(les.front() == "0.025");
  CHECK(les[7] == "1");
  CHECK(les.back() == "+Inf");
  for (size_t i = 1; i < counts.size(); i++) CHECK(counts[i] >= counts[i - 1]);
  CHECK(counts.back() == 3);
  CHECK(has_line(t, "wansteer_failover_duration_seconds_count 3"));
  CHECK(has_line(t, "wansteer_failover_duration_seconds_sum 7.2"));
}

TEST_CASE("worker wakes render per reason", "[metrics]") {
  MetricsSnapshot s = sample_snapshot();
  s.workers[0].wakes_by_packet = 7;
  s.workers[0].wakes_by_kick = 2;
  s.workers[0].wakes_by_timeout = 3;
  const std::string t = render(metric_families(s));
  CHECK(has_line(t, R"(wansteer_worker_wakes_total{worker="0",reason="packet"} 7)"));
  CHECK(has_line(t, R"(wansteer_worker_wakes_total{worker="0",reason="kick"} 2)"));
  CHECK(has_line(t, R"(wansteer_worker_wakes_total{worker="0",reason="timeout"} 3)"));
  CHECK(has_line(t, R"(wansteer_worker_wakes_total{worker="1",reason="packet"} 0)"));
}

TEST_CASE("a scrape waits for the control thread and gets a fresh snapshot", "[metrics]") {
  std::string err;
  auto e = MetricsExporter::start("127.0.0.1:0", &err);
  REQUIRE(e != nullptr);
  CHECK(e->port() > 0);
  // Nobody scraping: the control tick is a no-op and builds nothing.
  CHECK_FALSE(e->serve_pending([] { return MetricsSnapshot{}; }));
  MetricsSnapshot snap = sample_snapshot();
  int built = 0;
  std::string t = render(scrape(*e, snap, &built));
  CHECK(built == 1);
  CHECK(has_line(t, R"(wansteer_link_state{link="fiber",state="degraded"} 1)"));
  CHECK(has_line(t, "wansteer_exporter_stale_scrapes_total 0"));
  // Control answers again with newer numbers: the next scrape sees them.
  snap.policy_generation = 4;
  t = render(scrape(*e, snap));
  CHECK(has_line(t, "wansteer_policy_generation 4"));
}

TEST_CASE("a scrape the control thread does not answer returns the last snapshot after the wait", "[metrics]") {
  std::string err;
  auto e = MetricsExporter::start("127.0.0.1:0", &err);
  REQUIRE(e != nullptr);
  scrape(*e, sample_snapshot());
  auto t0 = std::chrono::steady_clock::now();
  std::string t = render(e->collectable()->Collect());  // no serve_pending: control is "busy"
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= std::chrono::milliseconds(MetricsExporter::kScrapeWaitMs - 5));
  CHECK(waited < std::chrono::seconds(2));
  CHECK(has_line(t, "wansteer_policy_generation 3"));
  CHECK(has_line(t, "wansteer_exporter_stale_scrapes_total 1"));
}

TEST_CASE("an address that cannot be bound is an error naming it", "[metrics]") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  std::string addr = fmt::format("127.0.0.1:{}", ntohs(a.sin_port));
  std::string err;
  CHECK(MetricsExporter::start(addr, &err) == nullptr);
  CHECK_THAT(err, Catch::Contains(addr));
  close(fd);
}

TEST_CASE("listen addresses are HOST:PORT", "[metrics]") {
  std::string why;
  CHECK(valid_listen_address("127.0.0.1:9469", &why));
  CHECK(valid_listen_address("[::1]:9469", &why));
  CHECK(valid_listen_address("localhost:0", &why));
  CHECK_FALSE(valid_listen_address("9469", &why));
  CHECK_FALSE(valid_listen_address("127.0.0.1:", &why));
  CHECK_FALSE(valid_listen_address("127.0.0.1:70000", &why));
  CHECK_FALSE(valid_listen_address("::1:9469", &why));
  CHECK_THAT(why, Catch::Contains("brackets"));
}

TEST_CASE("the policy's metrics.listen is read and checked", "[metrics]") {
  const std::string base =
      "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"
      "links: [{name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1},\n"
      "        {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1}]\n"
      "classes: [{name: voip, links: [fiber]}]\n";
  auto r = parse_policy(base, "t.yaml", ".");
  REQUIRE(r.ok());
  CHECK_FALSE(r.policy->metrics.listen.has_value());
  r = parse_policy(base + "metrics: {listen: \"127.0.0.1:9500\"}\n", "t.yaml", ".");
  REQUIRE(r.ok());
  CHECK(r.policy->metrics.listen == "127.0.0.1:9500");
  r = parse_policy(base + "metrics: {listen: \"9500\"}\n", "t.yaml", ".");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.errors[0].to_string(), Catch::StartsWith("t.yaml:5:") && Catch::Contains("metrics listen"));
}

TEST_CASE("a DHCP link has its lease's seconds left; static links have no such series", "[metrics][dhcp]") {
  std::string t = render(metric_families(sample_snapshot()));
  CHECK(t.find("wansteer_link_dhcp_lease_seconds_left") == std::string::npos);  // no family without DHCP links
  MetricsSnapshot s = sample_snapshot();
  s.links[1].dhcp_lease_seconds_left = 42.5;
  t = render(metric_families(s));
  CHECK(has_line(t, R"(wansteer_link_dhcp_lease_seconds_left{link="lte"} 42.5)"));
  CHECK(has_line(t, "# TYPE wansteer_link_dhcp_lease_seconds_left gauge"));
  CHECK(t.find(R"(wansteer_link_dhcp_lease_seconds_left{link="fiber"})") == std::string::npos);
}

TEST_CASE("a budgeted link has its budget series; other links have none", "[metrics][budget]") {
  std::string t = render(metric_families(sample_snapshot()));
  CHECK(t.find("wansteer_link_budget_bytes") == std::string::npos);  // no family without budgets
  MetricsSnapshot s = sample_snapshot();
  s.links[1].budget = MetricsSnapshot::Link::Budget{200000, 150000, 1796083200, false};
  t = render(metric_families(s));
  CHECK(has_line(t, R"(wansteer_link_budget_bytes{link="lte"} 200000)"));
  CHECK(has_line(t, R"(wansteer_link_budget_used_bytes{link="lte"} 150000)"));
  CHECK(has_line(t, R"(wansteer_link_budget_period_end_timestamp_seconds{link="lte"} 1796083200)"));
  CHECK(has_line(t, R"(wansteer_link_budget_exhausted{link="lte"} 0)"));
  CHECK(has_line(t, "# TYPE wansteer_link_budget_used_bytes gauge"));
  CHECK(t.find(R"(wansteer_link_budget_bytes{link="fiber"})") == std::string::npos);
}
