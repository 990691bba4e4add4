// The LAN subnets' common prefix (lan_summarise, dataplane/lan_subnets.hpp), which lets lan_subnet_of answer "none"
// with one test: over random sets of subnets and addresses, inside and out, it answers exactly as the plain pass
// over the subnets does (a snapshot without the summary, 0/0).
#include <random>

#include <catch2/catch.hpp>

#include "dataplane/lan_subnets.hpp"

using namespace wansteer;

namespace {

uint32_t prefix_mask(uint32_t len) { return len == 0 ? 0 : 0xffffffffu << (32 - len); }

void add_subnet(DataplaneSnapshot& s, uint32_t addr, uint32_t len) {
  s.lan[s.n_lan++] = LanSubnet{addr, addr & prefix_mask(len), prefix_mask(len), 0, false};
}

}  // namespace

TEST_CASE("LAN summary: the shared prefix of an office's subnets", "[lan]") {
  DataplaneSnapshot s;
  add_subnet(s, 0xc0a80a01, 24);  // 192.168.10.1/24
  add_subnet(s, 0xc0a81401, 24);  // 192.168.20.1/24
  lan_summarise(s);
  CHECK(s.lan_any_mask == prefix_mask(19));  // 10 = 00001010, 20 = 00010100: the top three bits agree
  CHECK(s.lan_any_network == 0xc0a80000);
  CHECK(lan_subnet_of(s, 0xc0a81405) == 1);
  CHECK(lan_subnet_of(s, 0xc0a80b05) == -1);  // inside the prefix, in neither subnet: the pass still runs
  CHECK(lan_subnet_of(s, 0x5db8d822) == -1);  // a server on the Internet: outside the prefix
  DataplaneSnapshot none;
  lan_summarise(none);
  CHECK(none.lan_any_mask == 0);
  CHECK(lan_subnet_of(none, 0xc0a80a01) == -1);
}

TEST_CASE("LAN summary: lan_subnet_of answers as the plain pass over random subnets and addresses", "[lan]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; round++) {
    DataplaneSnapshot s;
    const uint32_t n = 1 + rng() % kMaxLanSubnets;
    const uint32_t base = rng();
    for (uint32_t i = 0; i < n; i++) {
      // near one another (as an office's are) or anywhere, any length from /1 to /32
      const uint32_t addr = rng() % 2 ? base ^ (rng() & 0xffffu) : static_cast<uint32_t>(rng());
      add_subnet(s, addr, 1 + rng() % 32);
    }
    DataplaneSnapshot plain = s;  // 0/0: the pass alone
    lan_summarise(s);
    for (int k = 0; k < 50; k++) {
      const LanSubnet& sub = s.lan[rng() % n];
      const uint32_t inside = sub.network | (static_cast<uint32_t>(rng()) & ~sub.mask);
      const uint32_t near = base ^ (rng() & 0xfffffu);
      const uint32_t any = rng();
      for (uint32_t ip : {inside, near, any}) REQUIRE(lan_subnet_of(s, ip) == lan_subnet_of(plain, ip));
      REQUIRE(lan_subnet_of(s, inside) >= 0);
    }
  }
}
