// The policy's overlay section and per-class paths (issue 13) as read: a valid section, each key's
// errors at its line, and the private key file refused when other users can read it or it holds no key.
#include <catch2/catch.hpp>

#include <string>

#include "control/overlay/private_key_file.hpp"
#include "control/overlay/x25519.hpp"
#include "control/policy/policy.hpp"
#include "tests/unit/overlay_policy_support.hpp"

using namespace wansteer;

namespace {

using test::kOverlayHubKey;
using test::overlay_section;
using test::OverlayKeyDir;

std::string policy(const std::string& overlay, const std::string& paths = "") {
  return "lan: {device: net_null0, subnets: [{address: 192.168.10.1/24}]}\n"
         "links:\n"
         "  - {name: fiber, device: net_null1, address: 100.64.1.2/30, gateway: 100.64.1.1}\n"
         "  - {name: lte, device: net_null2, address: 100.64.2.2/30, gateway: 100.64.2.1}\n" +
         overlay +
         "classes:\n"
         "  - name: voip\n"
         "    links: [fiber, lte]\n" +
         paths;
}

std::string errors(const PolicyResult& r) {
  std::string s;
  for (const auto& e : r.errors) s += e.to_string() + "\n";
  return s;
}

}  // namespace

TEST_CASE("overlay policy: a hub, a key file and paths per class are read", "[policy][overlay]") {
  OverlayKeyDir d;
  auto r = parse_policy(policy(overlay_section("198.51.100.7:51821", "  mtu: 1380\n"),
                               "    paths: [overlay via fiber, overlay via lte, direct]\n"),
                        "t.yaml", d.dir.string());
  INFO(errors(r));
  REQUIRE(r.policy);
  const OverlaySpec& o = r.policy->overlay;
  CHECK(o.enabled);
  CHECK(o.hub_address == 0xc6336407);
  CHECK(o.hub_port == 51821);
  CHECK(o.mtu == 1380);
  CHECK(wg::key_to_base64(o.hub_public_key) == kOverlayHubKey);
  CHECK(o.public_key == wg::public_key_of(d.key));
  CHECK(o.private_key_file == (d.dir / "wg.key").string());
  const auto& paths = r.policy->classes[0].paths;
  REQUIRE(paths.size() == 3);
  CHECK((paths[0] == PathSpec{PathSpec::Kind::overlay, 0}));
  CHECK((paths[1] == PathSpec{PathSpec::Kind::overlay, 1}));
  CHECK((paths[2] == PathSpec{PathSpec::Kind::direct, -1}));

  auto plain = parse_policy(policy(""), "t.yaml", d.dir.string());
  REQUIRE(plain.policy);
  CHECK_FALSE(plain.policy->overlay.enabled);
  CHECK(plain.policy->classes[0].paths.empty());
}

TEST_CASE("overlay policy: mistakes reported at their line", "[policy][overlay]") {
  OverlayKeyDir d;
  const auto err = [&](const std::string& text) { return errors(parse_policy(text, "t.yaml", d.dir.string())); };
  CHECK_THAT(err(policy(overlay_section("198.51.100.7"))),
             Catch::Contains("t.yaml:6:") && Catch::Contains("not IPv4:PORT"));
  CHECK_THAT(err(policy(overlay_section("198.51.100.7:0"))), Catch::Contains("not IPv4:PORT"));
  CHECK_THAT(err(policy(overlay_section("hub.example:51820"))), Catch::Contains("not IPv4:PORT"));
  CHECK_THAT(err(policy(overlay_section("198.51.100.7:51820", "  mtu: 1500\n"))), Catch::Contains("overlay mtu"));
  CHECK_THAT(err(policy("overlay:\n  hub: {public_key: \"abc\", endpoint: \"198.51.100.7:51820\"}\n"
                        "  private_key_file: wg.key\n")),
             Catch::Contains("not a WireGuard public key"));
  CHECK_THAT(err(policy("overlay:\n  private_key_file: wg.key\n")), Catch::Contains("hub"));
  CHECK_THAT(
      err(policy("overlay:\n  hub: {public_key: \"" + kOverlayHubKey + "\", endpoint: \"198.51.100.7:51820\"}\n")),
      Catch::Contains("private_key_file"));
  CHECK_THAT(err(policy(overlay_section(), "    paths: [overlay via dsl]\n")), Catch::Contains("unknown link \"dsl\""));
  CHECK_THAT(err(policy(overlay_section(), "    paths: [tunnel]\n")), Catch::Contains("a path is overlay or direct"));
  CHECK_THAT(err(policy(overlay_section(), "    paths: [direct, direct]\n")), Catch::Contains("listed twice"));
  CHECK_THAT(err(policy("", "    paths: [overlay]\n")), Catch::Contains("needs the overlay section"));
  // The hub's key is our own.
  const std::string own = wg::key_to_base64(wg::public_key_of(d.key));
  CHECK_THAT(err(policy("overlay:\n  hub: {public_key: \"" + own +
                        "\", endpoint: \"198.51.100.7:51820\"}\n"
                        "  private_key_file: wg.key\n")),
             Catch::Contains("is our own"));
}

TEST_CASE("overlay policy: rekey_after_s shortens REKEY_AFTER_TIME for labs, within 5 to 120 s", "[policy][overlay]") {
  OverlayKeyDir d;
  auto r = parse_policy(policy(overlay_section("198.51.100.7:51820")), "t.yaml", d.dir.string());
  REQUIRE(r.policy);
  CHECK(r.policy->overlay.rekey_after_s == 120);  // WireGuard's REKEY_AFTER_TIME
  r = parse_policy(policy(overlay_section("198.51.100.7:51820", "  rekey_after_s: 6\n")), "t.yaml", d.dir.string());
  INFO(errors(r));
  REQUIRE(r.policy);
  CHECK(r.policy->overlay.rekey_after_s == 6);
  const auto err = [&](const std::string& value) {
    return errors(parse_policy(policy(overlay_section("198.51.100.7:51820", "  rekey_after_s: " + value + "\n")),
                               "t.yaml", d.dir.string()));
  };
  CHECK_THAT(err("4"), Catch::Contains("t.yaml:") && Catch::Contains("overlay rekey_after_s 4 is out of range") &&
                           Catch::Contains("REKEY_TIMEOUT"));
  CHECK_THAT(err("121"),
             Catch::Contains("overlay rekey_after_s 121 is out of range") && Catch::Contains("REJECT_AFTER_TIME"));
  CHECK_THAT(err("6s"), Catch::Contains("must be whole seconds"));
}

TEST_CASE("overlay key file: root-only, a real key, never quoted", "[policy][overlay]") {
  std::string why;
  {
    OverlayKeyDir d;
    REQUIRE(wg::read_private_key_file((d.dir / "wg.key").string(), &why) == d.key);
  }
  {
    OverlayKeyDir d("", 0640);
    CHECK_FALSE(wg::read_private_key_file((d.dir / "wg.key").string(), &why));
    CHECK_THAT(why, Catch::Contains("mode 0640") && Catch::Contains("chmod 600"));
    CHECK_THAT(errors(parse_policy(policy(overlay_section()), "t.yaml", d.dir.string())), Catch::Contains("mode 0640"));
  }
  {
    OverlayKeyDir d("not-a-key-but-a-secret\n");
    CHECK_FALSE(wg::read_private_key_file((d.dir / "wg.key").string(), &why));
    CHECK_THAT(why, Catch::Contains("not a WireGuard private key"));
    CHECK(why.find("not-a-key-but-a-secret") == std::string::npos);
  }
  CHECK_FALSE(wg::read_private_key_file("/nonexistent/wg.key", &why));
  CHECK_THAT(why, Catch::Contains("/nonexistent/wg.key"));
}
