// Site-to-site overlay (issue 13): the policy's `overlay: peer:` (allowed_ips, an optional endpoint, errors at their
// line), the snapshot's view of it, and the endpoint learned from where the peer's messages authenticate.
#include <catch2/catch.hpp>

#include <string>

#include "control/overlay/x25519.hpp"
#include "control/policy/policy.hpp"
#include "control/runtime/overlay_endpoints.hpp"
#include "dataplane/overlay/overlay_config.hpp"
#include "dataplane/overlay/peer_source.hpp"
#include "tests/unit/overlay_policy_support.hpp"

using namespace wansteer;

namespace {

using test::kOverlayHubKey;
using test::OverlayKeyDir;

std::string site_policy(const std::string& peer_body, const std::string& extra = "") {
  return "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"
         "links:\n"
         "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1}\n"
         "  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1}\n"
         "overlay:\n"
         "  peer: {public_key: \"" +
         kOverlayHubKey + "\"" + peer_body + "}\n" + extra + "  private_key_file: wg.key\n" +
         "classes:\n  - name: voip\n    links: [fiber]\n    paths: [overlay]\n";
}

std::string site_errors(const PolicyResult& r) {
  std::string s;
  for (const auto& e : r.errors) s += e.to_string() + "\n";
  return s;
}

constexpr uint32_t kSiteA = 0xcb00713c;  // 203.0.113.60
constexpr uint32_t kSiteB = 0xc6336402;  // 198.51.100.2

}  // namespace

TEST_CASE("overlay sites: a peer with allowed_ips and no endpoint is read", "[policy][overlay][sites]") {
  OverlayKeyDir d;
  auto r = parse_policy(site_policy(", allowed_ips: [192.168.110.0/24, 10.20.0.0/16]"), "t.yaml", d.dir.string());
  INFO(site_errors(r));
  REQUIRE(r.policy);
  const OverlaySpec& o = r.policy->overlay;
  CHECK(o.site_peer);
  CHECK(o.hub_address == 0);
  REQUIRE(o.allowed_ips.size() == 2);
  CHECK(o.allowed_ips[0].network() == 0xc0a86e00);
  CHECK(o.allowed_ips[1].len == 16);

  auto e = parse_policy(site_policy(", endpoint: \"203.0.113.60:51820\", allowed_ips: 192.168.110.0/24"), "t.yaml",
                        d.dir.string());
  REQUIRE(e.policy);
  CHECK(e.policy->overlay.hub_address == kSiteA);
  CHECK(e.policy->overlay.hub_port == 51820);
}

TEST_CASE("overlay sites: peer errors point at their line", "[policy][overlay][sites]") {
  OverlayKeyDir d;
  const auto first_error = [&](const std::string& text) {
    auto r = parse_policy(text, "t.yaml", d.dir.string());
    return r.errors.empty() ? std::string() : r.errors[0].to_string();
  };
  CHECK_THAT(first_error(site_policy("")), Catch::Contains("t.yaml:6:") && Catch::Contains("allowed_ips"));
  CHECK_THAT(first_error(site_policy(", allowed_ips: [192.168.10.0/25]")),
             Catch::Contains("overlaps our LAN subnet 192.168.10.0/24"));
  CHECK_THAT(first_error(site_policy(", allowed_ips: [192.168.110.1/24]")), Catch::Contains("allowed_ips"));
  CHECK_THAT(first_error(site_policy(", allowed_ips: [fd00::/8]")), Catch::Contains("must be IPv4"));
  CHECK_THAT(first_error(site_policy(", allowed_ips: [192.168.110.0/24]",
                                     "  hub: {public_key: \"" + kOverlayHubKey + "\", endpoint: \"1.2.3.4:5\"}\n")),
             Catch::Contains("t.yaml:6:9:") && Catch::Contains("give one"));
  CHECK_THAT(first_error(site_policy(", allowed_ips: [192.168.110.0/24], endpoint: nowhere")),
             Catch::Contains("overlay peer endpoint \"nowhere\" is not IPv4:PORT"));
}

TEST_CASE("overlay sites: inner sources and destinations within the peer's prefixes", "[overlay][sites]") {
  OverlayConfig hub;
  CHECK(overlay_allows(hub, 0x08080808));  // a hub: any source by default
  CHECK_FALSE(overlay_routes_to(hub, 0x08080808));
  OverlayConfig site;
  site.site = true;
  site.n_allowed = 2;
  site.allowed[0] = {0xc0a86e00, 0xffffff00};  // 192.168.110.0/24
  site.allowed[1] = {0x0a140000, 0xffff0000};  // 10.20.0.0/16
  CHECK(overlay_routes_to(site, 0xc0a86e05));
  CHECK(overlay_routes_to(site, 0x0a140101));
  CHECK_FALSE(overlay_routes_to(site, 0xc0a86f05));
  CHECK_FALSE(overlay_allows(site, 0x08080808));
}

TEST_CASE("overlay sites: the endpoint follows the source heard last, sticky while both are heard",
          "[overlay][sites]") {
  constexpr uint64_t kMs = 1'000'000;
  const uint64_t fiber = peer_source_word(kSiteA, 51820) | 0;
  const uint64_t lte = peer_source_word(kSiteB, 51820) | 0;
  PeerEndpoints e;
  e.reset(0);
  CHECK(e.current() == 0);
  e.heard(fiber, 1000 * kMs);
  CHECK(e.current() == fiber);
  const uint64_t g = e.generation();
  e.heard(lte, 1010 * kMs);  // fiber heard 10 ms ago: kept (both links deliver while A duplicates)
  CHECK(e.current() == fiber);
  CHECK(e.other_recent(1010 * kMs) == lte);
  CHECK(e.generation() == g);
  e.heard(lte, 1200 * kMs);  // fiber silent for 200 ms: its link failed, the endpoint moves
  CHECK(e.current() == lte);
  CHECK(e.generation() != g);
  CHECK(e.other_recent(1200 * kMs) == fiber);
  CHECK(e.other_recent(7000 * kMs) == 0);  // no longer recent
  CHECK(peer_source_ip(e.current()) == kSiteB);
  CHECK(peer_source_port(e.current()) == 51820);

  PeerEndpoints c;  // copies (a duplicate of a message already opened) name the other endpoint, never the current
  c.reset(0);
  c.heard(fiber, 1000 * kMs);
  c.heard_copy(lte, 1001 * kMs);
  c.heard_copy(fiber, 1002 * kMs);
  CHECK(c.current() == fiber);
  CHECK(c.other_recent(1500 * kMs) == lte);
}
