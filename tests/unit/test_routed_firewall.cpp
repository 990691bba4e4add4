// The stateful firewall of routed links (nat: false): sessions the LAN opens let their replies and ICMP errors back
// in, untranslated; everything else towards the LAN is denied by reason; allowed services (`forwards` on a routed
// link) let their sources in and no others; pinholes share the NAT table's capacity, per-host cap and timeouts.
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "dataplane/nat_translate.hpp"
#include "dataplane/routed_firewall.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

constexpr uint64_t kHz = 1000;
const uint32_t kHost = ip4("198.51.100.10"), kHost2 = ip4("198.51.100.11"), kFar = ip4("203.0.113.7");
constexpr uint8_t kSyn = 0x02, kAck = 0x10;

// A worker and a snapshot whose link 0 is routed (nat: false).
struct FwRig {
  std::unique_ptr<WorkerContext> w = std::make_unique<WorkerContext>();
  DataplaneSnapshot snap;
  rte_mempool* pool;
  explicit FwRig(const std::string& name, uint32_t capacity = 64, uint16_t worker = 0, uint16_t workers = 1) {
    std::string err;
    w->nat = NatSessionTable::create(name, capacity, worker, workers, SOCKET_ID_ANY, &err);
    REQUIRE(w->nat);
    snap.n_links = 1;
    snap.links[0].own_ip = ip4("100.64.1.2");
    snap.links[0].nat = false;
    snap.links[0].firewall = true;
    snap.nat = NatSettings{NatTimeouts{300 * kHz, 7440 * kHz, 240 * kHz, 60 * kHz}, 16};
    pool = make_test_pool((name + "_pool").c_str(), 63);
    REQUIRE(pool);
  }
  ~FwRig() { rte_mempool_free(pool); }
  FwOut out(Bytes f, uint64_t now = 0, uint16_t* owner = nullptr) {
    uint16_t o = 0;
    return firewall_outbound(*w, snap, 0, f.data() + 14, static_cast<uint32_t>(f.size() - 14), true, now,
                             owner ? owner : &o);
  }
  FwIn in(const Bytes& f, uint64_t now = 0, uint16_t* owner = nullptr) {
    rte_mbuf* m = to_mbuf(pool, f);
    REQUIRE(m);
    meta_of(m)->l3_offset = 14;
    uint16_t o = 0;
    const FwIn r = firewall_inbound(*w, snap, 0, m, meta_of(m), now, owner ? owner : &o);
    // Nothing is translated: the frame leaves as it came.
    CHECK(std::equal(f.begin(), f.end(), rte_pktmbuf_mtod(m, const uint8_t*)));
    rte_pktmbuf_free(m);
    return r;
  }
};

Bytes udp_out(uint32_t host, uint16_t sport) { return PacketBuilder().ipv4(host, kFar).udp(sport, 53).build(); }
Bytes udp_in(uint32_t host, uint16_t dport, uint32_t from = kFar) {
  return PacketBuilder().ipv4(from, host).udp(53, dport).build();
}

}  // namespace

TEST_CASE("routed firewall: replies to the LAN's sessions come in, unsolicited traffic does not", "[firewall]") {
  FwRig rig("fw_basic");
  CHECK(rig.in(udp_in(kHost, 40000)) == FwIn::no_session);  // nothing opened yet
  REQUIRE(rig.out(udp_out(kHost, 40000)) == FwOut::ok);
  CHECK(rig.w->nat->size() == 1);
  CHECK(rig.in(udp_in(kHost, 40000)) == FwIn::ok);
  CHECK(rig.in(udp_in(kHost, 40000, ip4("192.0.2.99"))) == FwIn::ok);  // endpoint-independent: any far end
  CHECK(rig.in(udp_in(kHost2, 40000)) == FwIn::no_session);            // same port, another host: never opened
  CHECK(rig.in(udp_in(kHost, 40001)) == FwIn::no_session);
  CHECK(rig.in(PacketBuilder().ipv4(kFar, kHost).tcp(80, 40000, kSyn | kAck).build()) == FwIn::no_session);
  // The internet does not ping a routed LAN's hosts; a later fragment carries no ports.
  CHECK(rig.in(PacketBuilder().ipv4(kFar, kHost).icmp(8, 0, 1, 1).build()) == FwIn::untracked);
  Bytes frag = udp_in(kHost, 40000);
  frag[14 + 7] = 0x10;  // fragment offset 16
  CHECK(rig.in(frag) == FwIn::untracked);
  // Two hosts on the same port each hold their own session (nothing is translated, nothing collides).
  REQUIRE(rig.out(udp_out(kHost2, 40000)) == FwOut::ok);
  CHECK(rig.in(udp_in(kHost2, 40000)) == FwIn::ok);
  CHECK(rig.w->nat->size() == 2);
}

TEST_CASE("routed firewall: echo replies and ICMP errors about a session reach its host only", "[firewall]") {
  FwRig rig("fw_icmp");
  REQUIRE(rig.out(PacketBuilder().ipv4(kHost, kFar).icmp(8, 0, 0x1234, 1).build()) == FwOut::ok);
  CHECK(rig.in(PacketBuilder().ipv4(kFar, kHost).icmp(0, 0, 0x1234, 1).build()) == FwIn::ok);
  CHECK(rig.in(PacketBuilder().ipv4(kFar, kHost).icmp(0, 0, 0x1235, 1).build()) == FwIn::no_session);
  REQUIRE(rig.out(udp_out(kHost, 40000)) == FwOut::ok);
  auto error_about = [](uint32_t quoted_src, uint32_t to, uint16_t sport) {
    const Bytes left = PacketBuilder().ipv4(quoted_src, kFar).udp(sport, 53).payload(12).build();
    Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
    icmp.insert(icmp.end(), left.begin() + 14, left.end());
    return PacketBuilder().ipv4(ip4("192.0.2.1"), to).raw_l4(1, icmp).build();
  };
  CHECK(rig.in(error_about(kHost, kHost, 40000)) == FwIn::ok);
  CHECK(rig.in(error_about(kHost, kHost, 40001)) == FwIn::no_session);    // about a port it never opened
  CHECK(rig.in(error_about(kHost2, kHost, 40000)) == FwIn::untracked);    // about another host's packet
  CHECK(rig.in(error_about(kHost2, kHost2, 40000)) == FwIn::no_session);  // that host opened nothing
  // ICMP errors the LAN sends and other protocols leave untracked: no session is made for them.
  CHECK(rig.out(error_about(kFar, kFar, 53)) == FwOut::untracked);
  CHECK(rig.out(PacketBuilder().ipv4(kHost, kFar).raw_l4(47, Bytes(8, 0)).build()) == FwOut::untracked);
  CHECK(rig.w->nat->size() == 2);
}

TEST_CASE("routed firewall: allowed services let their sources in, `from` holds over an open session", "[firewall]") {
  FwRig rig("fw_fwd");
  auto fwds = std::make_shared<PortForwards>();
  LinkForwards& lf = fwds->link[0];
  PortForward& f = lf.fwd[lf.n++];
  f.to_ip = kHost;
  f.port_lo = f.port_hi = f.to_port = 443;
  f.proto = static_cast<uint8_t>(NatProto::tcp);
  f.from[f.n_from++] = PortForward::Source{ip4("203.0.113.0"), 0xffffff00u};
  lf.mark(NatProto::tcp, 443);
  rig.snap.forwards = fwds;
  const auto syn = [](uint32_t from, uint32_t to) {
    return PacketBuilder().ipv4(from, to).tcp(50000, 443, kSyn).build();
  };
  CHECK(rig.in(syn(kFar, kHost)) == FwIn::ok);
  CHECK(rig.w->counters.nat_forward_hits.get() == 1);
  CHECK(rig.in(syn(ip4("192.0.2.5"), kHost)) == FwIn::denied);
  CHECK(rig.in(syn(kFar, kHost2)) == FwIn::no_session);  // port 443 is open on kHost only
  // The server's reply opens its endpoint, yet a source outside `from` stays out.
  REQUIRE(rig.out(PacketBuilder().ipv4(kHost, kFar).tcp(443, 50000, kSyn | kAck).build()) == FwOut::ok);
  CHECK(rig.in(syn(ip4("192.0.2.5"), kHost)) == FwIn::denied);
}

TEST_CASE("routed firewall: pinholes share the table's limits and timeouts, and its owner rule", "[firewall]") {
  FwRig rig("fw_limits", 4);
  rig.snap.nat.per_host = 3;
  for (uint16_t p = 1; p <= 3; p++) REQUIRE(rig.out(udp_out(kHost, static_cast<uint16_t>(40000 + p))) == FwOut::ok);
  CHECK(rig.out(udp_out(kHost, 41000)) == FwOut::host_limit);
  CHECK(firewall_out_drop_reason(FwOut::host_limit) == DropReason::nat_host_limit);
  REQUIRE(rig.out(udp_out(kHost2, 41000)) == FwOut::ok);
  CHECK(rig.out(udp_out(kHost2, 41001)) == FwOut::table_full);
  CHECK(firewall_out_drop_reason(FwOut::table_full) == DropReason::nat_table_full);
  // Idle past the UDP timeout (300 s): the reply finds nothing, the sweep frees the rest.
  CHECK(rig.in(udp_in(kHost, 40001), 301 * kHz) == FwIn::no_session);
  CHECK(rig.w->nat->expire_some(301 * kHz, rig.snap.nat.timeouts, 8) == 3);
  CHECK(rig.w->nat->size() == 0);

  FwRig w1("fw_owner", 16, 1, 2);  // worker 1 of 2 owns the odd inside ports
  uint16_t owner = 9;
  CHECK(w1.out(udp_out(kHost, 40000), 0, &owner) == FwOut::elsewhere);
  CHECK(owner == 0);
  CHECK(w1.out(udp_out(kHost, 40001)) == FwOut::ok);
  owner = 9;
  CHECK(w1.in(udp_in(kHost, 40000), 0, &owner) == FwIn::elsewhere);
  CHECK(owner == 0);
  CHECK(w1.in(udp_in(kHost, 40001)) == FwIn::ok);
}
