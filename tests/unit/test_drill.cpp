// The failover drill without a lab: the real control plane on ring ports and a fake clock. The link is withdrawn
// for the drill's time, the classes' moves are reported (with how long the first packet took), the link returns.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "control/common/clock.hpp"
#include "tests/unit/control_rig.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const Mac kHost{0x02, 0, 0, 0, 0x10, 0x10};

Policy drill_policy() {
  Policy p = rig_office_skeleton();
  MacAddress h;
  std::copy(kHost.begin(), kHost.end(), h.begin());
  p.lan.neighbors = {StaticNeighbor{ip4("192.168.10.10"), h}};
  p.classes = {ClassSpec{"voip", SteerMode::priority, {0, 1}, {}},
               ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  p.default_class = 1;
  ClassRule voip;
  voip.class_id = 0;
  voip.proto = 17;
  voip.dport = PortRange{5060, 5061};
  p.rules = {voip};
  return p;
}

Bytes voip_frame() {
  return PacketBuilder(PacketBuilder::kDefaultDst, kHost)
      .ipv4(ip4("192.168.10.10"), ip4("203.0.113.10"), Ipv4Opts{.ttl = 64})
      .udp(40000, 5060)
      .payload(20)
      .build();
}

}  // namespace

TEST_CASE("drill: the link is withdrawn for N seconds, moves are reported, the link is restored", "[drill]") {
  FakeClock clock;
  ControlRig rig(drill_policy(), &clock);
  ControlPlane& cp = *rig.cp;
  CHECK(cp.handle_command("drill status") == "no drill has run\n");
  CHECK(nlohmann::json::parse(cp.handle_command("drill status --json"))["report"].is_null());

  REQUIRE(cp.handle_command("drill start fiber 2").rfind("drill: link fiber withdrawn for 2 s", 0) == 0);
  CHECK(cp.handle_command("drill start lte 2").rfind("error: a drill on fiber is running", 0) == 0);
  CHECK(cp.handle_command("link up fiber").rfind("error: a drill is running on fiber", 0) == 0);
  auto st = nlohmann::json::parse(cp.handle_command("drill status --json"));
  CHECK(st["running"] == true);
  CHECK(st["link"] == "fiber");
  CHECK(st["seconds_left"] == 2.0);
  CHECK_FALSE(cp.stats_view().links[0].admin_up);

  rig.inject(0, voip_frame());
  rig.poll();
  CHECK(rig.sent(2).size() == 1);  // voip now leaves on lte
  CHECK(rig.sent(1).empty());
  clock.advance_ms(50);
  cp.tick();  // the first voip packet on lte is seen: the move took 50 ms

  clock.advance_ms(1900);
  cp.tick();
  CHECK(nlohmann::json::parse(cp.handle_command("drill status --json"))["running"] == true);
  clock.advance_ms(100);
  cp.tick();  // time is up

  st = nlohmann::json::parse(cp.handle_command("drill status --json"));
  CHECK(st["running"] == false);
  const auto& rep = st["report"];
  CHECK(rep["link"] == "fiber");
  CHECK(rep["seconds"].get<double>() == Approx(2.05));
  CHECK(rep["classes"]["voip"]["from"] == "fiber");
  CHECK(rep["classes"]["voip"]["to"] == "lte");
  CHECK(rep["classes"]["voip"]["move_ms"].get<double>() == Approx(50));
  CHECK(rep["classes"]["voip"]["packets"] == 1);
  CHECK(rep["classes"]["default"]["to"] == "lte");
  CHECK(rep["classes"]["default"]["move_ms"].is_null());  // no default traffic moved
  const std::string text = cp.handle_command("drill status");
  CHECK(text.rfind("drill report: link fiber withdrawn for 2.0 s", 0) == 0);

  // Restored: fiber is up and voip is back on it.
  const StatsView v = cp.stats_view();
  CHECK(v.links[0].admin_up);
  REQUIRE_FALSE(v.classes[0].links.empty());
  CHECK(v.classes[0].links[0] == "fiber");
  CHECK(cp.events().recent(50).size() >= 2);
  bool ended = false;
  for (const Event& e : cp.events().recent(50)) ended |= e.kind == "drill" && e.cause == "drill_end";
  CHECK(ended);
  CHECK(cp.handle_command("drill stop") == "error: no drill is running\n");
}

TEST_CASE("drill: stop ends it early with the report; bad arguments are refused", "[drill]") {
  FakeClock clock;
  ControlRig rig(drill_policy(), &clock);
  ControlPlane& cp = *rig.cp;
  CHECK(cp.handle_command("drill start fiber 0").rfind("error: drill duration", 0) == 0);
  CHECK(cp.handle_command("drill start nope 5").rfind("error: unknown link", 0) == 0);
  CHECK(cp.handle_command("drill fiber") == "error: drill start LINK SECONDS | drill status | drill stop\n");
  REQUIRE(cp.handle_command("drill start fiber 60").rfind("drill:", 0) == 0);
  clock.advance_ms(1000);
  const auto rep = nlohmann::json::parse(cp.handle_command("drill stop --json"));
  CHECK(rep["seconds"].get<double>() == Approx(1.0));
  CHECK(cp.stats_view().links[0].admin_up);
}
