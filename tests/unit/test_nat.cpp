// NAT44: the session table (mapping, endpoint independence, port preservation, exhaustion, per-host cap, timeouts
// on a fake clock, TCP state) and the translation of headers both ways with every checksum checked from scratch.
#include <cstring>
#include <iterator>
#include <memory>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "dataplane/hop_limit.hpp"
#include "dataplane/nat_inbound.hpp"
#include "dataplane/nat_outbound.hpp"
#include "dataplane/nat_translate.hpp"
#include "dataplane/probe_ids.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

constexpr uint64_t kHz = 1000;  // the fake clock: 1000 ticks a second
const NatTimeouts kTimeouts{300 * kHz, 7440 * kHz, 240 * kHz, 60 * kHz};
constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01, kRst = 0x04;

std::unique_ptr<NatSessionTable> table(const std::string& name, uint32_t capacity, uint16_t worker = 0,
                                       uint16_t workers = 1) {
  std::string err;
  auto t = NatSessionTable::create(name, capacity, worker, workers, SOCKET_ID_ANY, &err);
  REQUIRE(t);
  return t;
}

NatSession* make(NatSessionTable& t, NatProto p, uint32_t ip, uint16_t port, uint64_t now = 0,
                 uint32_t per_host = 100000, uint8_t link = 0) {
  NatSession* s = nullptr;
  REQUIRE(t.create(link, p, ip, port, now, per_host, &s) == NatAlloc::ok);
  return s;
}

// One's-complement sum of n bytes, folded.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>((p[i] << 8) | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}
bool ip_sum_ok(const uint8_t* ip) { return sum16(ip, (ip[0] & 0xfu) * 4u) == 0xffff; }
// The transport checksum of the IPv4 packet at `ip`, pseudo header included for TCP and UDP.
bool l4_sum_ok(const uint8_t* ip) {
  const uint32_t ihl = (ip[0] & 0xfu) * 4u, total = nat_rd16(ip + 2);
  const uint32_t len = total - ihl;
  uint32_t pseudo = 0;
  if (ip[9] != kIpProtoIcmp) pseudo = sum16(ip + 12, 8, ip[9] + len);
  return sum16(ip + ihl, len, pseudo) == 0xffff;
}

const uint32_t kHost = ip4("10.0.0.10"), kHost2 = ip4("10.0.0.11"), kFar = ip4("198.51.100.7"),
               kLinkIp = ip4("203.0.113.2");

// A worker and a snapshot with link 0 translating to kLinkIp.
struct NatRig {
  std::unique_ptr<WorkerContext> w = std::make_unique<WorkerContext>();
  DataplaneSnapshot snap;
  rte_mempool* pool;
  explicit NatRig(const std::string& name) {
    std::string err;
    w->nat = NatSessionTable::create(name, 64, 0, 1, SOCKET_ID_ANY, &err);
    REQUIRE(w->nat);
    snap.n_links = 1;
    snap.links[0].own_ip = kLinkIp;
    snap.links[0].nat = true;
    snap.nat = NatSettings{kTimeouts, 16};
    pool = make_test_pool((name + "_pool").c_str(), 63);
    REQUIRE(pool);
  }
  ~NatRig() { rte_mempool_free(pool); }
  // Translates a LAN frame out (in place); returns the outcome.
  NatOut out(Bytes& f, uint64_t now = 0) {
    NatSession* s = nullptr;
    const NatOut o =
        nat_outbound_session(*w, snap, 0, f.data() + 14, static_cast<uint32_t>(f.size() - 14), true, now, &s, nullptr);
    if (o == NatOut::ok) nat_outbound_rewrite(f.data() + 14, *s, kLinkIp);
    return o;
  }
  // Translates a WAN frame in; the frame comes back in `f`.
  NatIn in(Bytes& f, uint64_t now = 0) {
    rte_mbuf* m = to_mbuf(pool, f);
    REQUIRE(m);
    meta_of(m)->l3_offset = 14;
    const NatIn r = nat_inbound(*w, snap, 0, m, meta_of(m), now);
    std::memcpy(f.data(), rte_pktmbuf_mtod(m, uint8_t*), f.size());
    rte_pktmbuf_free(m);
    return r;
  }
};

}  // namespace

TEST_CASE("NAT table: a new mapping keeps the inside port when free, the same endpoint maps the same", "[nat]") {
  auto t = table("nat_map", 16);
  NatSession* a = make(*t, NatProto::udp, kHost, 5060);
  CHECK(a->ext_port == 5060);  // port preservation
  // Endpoint-independent: whatever the destination, the inside endpoint finds the same mapping.
  CHECK(t->find_outbound(0, NatProto::udp, kHost, 5060, 1, kTimeouts) == a);
  CHECK(t->find_inbound(0, NatProto::udp, 5060, 1, kTimeouts) == a);
  // Another host with the same port gets another external port; another protocol or link keeps its own space.
  NatSession* b = make(*t, NatProto::udp, kHost2, 5060);
  CHECK(b->ext_port != 5060);
  CHECK(b->ext_port >= kNatPortMin);
  CHECK(make(*t, NatProto::tcp, kHost2, 5060)->ext_port == 5060);
  CHECK(make(*t, NatProto::udp, kHost2, 5060, 0, 100000, 1)->ext_port == 5060);
  CHECK(t->size() == 4);
  CHECK(t->sessions_of(kHost2) == 3);
}

TEST_CASE("NAT table: a flow's session hint is trusted only while it names the endpoint's live mapping", "[nat]") {
  auto t = table("nat_hint", 16);
  NatSession* a = make(*t, NatProto::udp, kHost, 5060);
  const uint32_t hint = t->hint_of(a);
  CHECK(t->find_outbound_hinted(hint, 0, NatProto::udp, kHost, 5060, 1, kTimeouts) == a);
  // No hint, a hint out of range, or one naming another endpoint's session: the hash answers.
  CHECK(t->find_outbound_hinted(0, 0, NatProto::udp, kHost, 5060, 1, kTimeouts) == a);
  CHECK(t->find_outbound_hinted(~0u, 0, NatProto::udp, kHost, 5060, 1, kTimeouts) == a);
  NatSession* b = make(*t, NatProto::udp, kHost2, 5060);
  CHECK(t->find_outbound_hinted(hint, 0, NatProto::udp, kHost2, 5060, 1, kTimeouts) == b);
  CHECK(t->find_outbound_hinted(hint, 1, NatProto::udp, kHost, 5060, 1, kTimeouts) == nullptr);  // other link
  CHECK(t->find_outbound_hinted(hint, 0, NatProto::tcp, kHost, 5060, 1, kTimeouts) == nullptr);  // other protocol
  // Released and its slot reused by another endpoint: the old flow's hint no longer finds it.
  t->release(a);
  NatSession* c = make(*t, NatProto::udp, kHost2, 6000);
  REQUIRE(t->hint_of(c) == hint);
  CHECK(t->find_outbound_hinted(hint, 0, NatProto::udp, kHost, 5060, 1, kTimeouts) == nullptr);
  CHECK(t->find_outbound_hinted(hint, 0, NatProto::udp, kHost2, 6000, 1, kTimeouts) == c);
  // Expired: released, as find_outbound does.
  CHECK(t->find_outbound_hinted(hint, 0, NatProto::udp, kHost2, 6000, 301 * kHz, kTimeouts) == nullptr);
  CHECK(t->sessions_of(kHost2) == 1);
  CHECK(t->size() == 1);
}

TEST_CASE("NAT table: probe ports are never handed out, and workers share out the ports", "[nat]") {
  auto t = table("nat_probe", 16);
  CHECK(make(*t, NatProto::udp, kHost, kProbePortBase)->ext_port != kProbePortBase);
  CHECK(make(*t, NatProto::icmp, kHost, kProbeIcmpIdBase)->ext_port != kProbeIcmpIdBase);
  auto w1 = table("nat_w1", 16, 1, 2);  // worker 1 of 2: odd ports only
  CHECK(make(*w1, NatProto::tcp, kHost, 4001)->ext_port == 4001);
  const uint16_t moved = make(*w1, NatProto::tcp, kHost, 4002)->ext_port;
  CHECK(moved % 2 == 1);
  CHECK(w1->owns(moved));
  CHECK_FALSE(w1->owns(4002));
}

TEST_CASE("NAT table: forwarded ports are never handed out; a forward's mapping takes its port exactly",
          "[nat][forwards]") {
  auto t = table("nat_fwd", 16);
  LinkForwards lf;
  lf.n = 1;
  lf.fwd[0].to_ip = kHost2;
  lf.fwd[0].port_lo = 3389;
  lf.fwd[0].port_hi = 3389;
  lf.fwd[0].to_port = 3390;
  lf.fwd[0].proto = static_cast<uint8_t>(NatProto::tcp);
  lf.mark(NatProto::tcp, 3389);
  CHECK(lf.forwarded(NatProto::tcp, 3389));
  CHECK_FALSE(lf.forwarded(NatProto::udp, 3389));
  CHECK(lf.inbound(NatProto::tcp, 3389) == &lf.fwd[0]);
  CHECK(lf.of_target(NatProto::tcp, kHost2, 3390) == &lf.fwd[0]);
  CHECK(lf.of_target(NatProto::tcp, kHost2, 3389) == nullptr);
  // Port preservation gives way to the forward: another port for a LAN host's own 3389.
  NatSession* s = nullptr;
  REQUIRE(t->create(0, NatProto::tcp, kHost, 3389, 0, 100, &s, &lf) == NatAlloc::ok);
  CHECK(s->ext_port != 3389);
  CHECK_FALSE(s->forward);
  // The forward's own mapping: exactly the forwarded port, found both ways; the port cannot be taken twice.
  NatSession* f = nullptr;
  REQUIRE(t->create_forward(0, NatProto::tcp, kHost2, 3390, 3389, 0, 100, &f) == NatAlloc::ok);
  CHECK(f->ext_port == 3389);
  CHECK(f->forward);
  CHECK(t->find_inbound(0, NatProto::tcp, 3389, 1, kTimeouts) == f);
  CHECK(t->find_outbound(0, NatProto::tcp, kHost2, 3390, 1, kTimeouts) == f);
  NatSession* g = nullptr;
  CHECK(t->create_forward(0, NatProto::tcp, kHost, 4000, 3389, 0, 100, &g) == NatAlloc::no_port);
  // A mapping the forwarded endpoint held before (a reload added the forward) gives way to the forward's.
  NatSession* old = make(*t, NatProto::udp, kHost2, 5060);
  CHECK(old->ext_port == 5060);
  REQUIRE(t->create_forward(0, NatProto::udp, kHost2, 5060, 6000, 0, 100, &g) == NatAlloc::ok);
  CHECK(t->find_outbound(0, NatProto::udp, kHost2, 5060, 1, kTimeouts) == g);
  CHECK(t->find_inbound(0, NatProto::udp, 5060, 1, kTimeouts) == nullptr);
  CHECK(t->size() == 3);
}

TEST_CASE("NAT table: full table, per-host cap and port exhaustion fail with their reason", "[nat]") {
  auto t = table("nat_full", 4);
  NatSession* s = nullptr;
  for (uint16_t i = 0; i < 3; i++) make(*t, NatProto::udp, kHost, static_cast<uint16_t>(2000 + i), 0, 3);
  CHECK(t->create(0, NatProto::udp, kHost, 3000, 0, 3, &s) == NatAlloc::host_limit);
  make(*t, NatProto::udp, kHost2, 3000, 0, 3);
  CHECK(t->create(0, NatProto::udp, ip4("10.0.0.12"), 3000, 0, 3, &s) == NatAlloc::table_full);
  // A released session's port and slot are free again, and its host's count drops.
  t->release(t->find_outbound(0, NatProto::udp, kHost, 2000, 0, kTimeouts));
  CHECK(t->sessions_of(kHost) == 2);
  CHECK(t->create(0, NatProto::udp, kHost, 3000, 0, 3, &s) == NatAlloc::ok);

  // Every TCP port of the link's address in use: the next mapping fails as no_port, not as a full table.
  auto big = table("nat_ports", 70000);
  uint32_t made = 0;
  NatAlloc last = NatAlloc::ok;
  for (uint32_t i = 0; i < 70000 && last == NatAlloc::ok; i++) {
    last = big->create(0, NatProto::tcp, ip4("10.1.0.0") + i, 5000, 0, 100000, &s);
    made += last == NatAlloc::ok;
  }
  CHECK(last == NatAlloc::no_port);
  CHECK(made == 65536 - kNatPortMin);
}

TEST_CASE("NAT table: UDP and ICMP mappings time out on the clock, lazily or by the sweep", "[nat]") {
  auto t = table("nat_time", 16);
  make(*t, NatProto::udp, kHost, 4000, 0);
  make(*t, NatProto::icmp, kHost, 7, 0);
  CHECK(t->find_inbound(0, NatProto::udp, 4000, 300 * kHz, kTimeouts) != nullptr);   // refreshed? no: found at 300 s
  CHECK(t->find_inbound(0, NatProto::icmp, 7, 60 * kHz + 1, kTimeouts) == nullptr);  // expired, released
  CHECK(t->size() == 1);
  CHECK(t->expire_some(300 * kHz + 1, kTimeouts, 16) == 1);
  CHECK(t->size() == 0);
  CHECK(t->sessions_of(kHost) == 0);
}

TEST_CASE("NAT table: TCP established holds 2 h 4 min; FIN both ways or RST cut it to 4 min", "[nat]") {
  auto t = table("nat_tcp", 16);
  NatSession* s = make(*t, NatProto::tcp, kHost, 40000);
  nat_tcp_track(*s, kSyn, true);
  CHECK(nat_timeout_of(*s, kTimeouts) == kTimeouts.tcp_transitory);  // half-open
  nat_tcp_track(*s, kSyn | kAck, false);
  CHECK(s->tcp == static_cast<uint8_t>(NatTcpState::established));
  CHECK(nat_timeout_of(*s, kTimeouts) == kTimeouts.tcp_established);
  nat_tcp_track(*s, kFin | kAck, true);
  CHECK(nat_timeout_of(*s, kTimeouts) == kTimeouts.tcp_established);  // half-closed: the other side may still send
  nat_tcp_track(*s, kFin | kAck, false);
  CHECK(s->tcp == static_cast<uint8_t>(NatTcpState::closing));
  CHECK(t->find_outbound(0, NatProto::tcp, kHost, 40000, 240 * kHz + 1, kTimeouts) == nullptr);

  NatSession* r = make(*t, NatProto::tcp, kHost, 40001);
  nat_tcp_track(*r, kSyn, true);
  nat_tcp_track(*r, kSyn | kAck, false);
  nat_tcp_track(*r, kRst, false);
  CHECK(nat_timeout_of(*r, kTimeouts) == kTimeouts.tcp_transitory);
  nat_tcp_track(*r, kSyn, true);  // the port reused for a new connection
  CHECK(r->tcp == static_cast<uint8_t>(NatTcpState::syn_out));
}

// nat_timeout_of for every protocol and TCP state against what RFC 5382 asks for (established and half-closed
// hold long, the rest briefly). UDP and ICMP ignore the TCP state byte, whatever it holds.
TEST_CASE("NAT table: the idle timeout of every protocol and TCP state", "[nat]") {
  const uint64_t est = kTimeouts.tcp_established, tra = kTimeouts.tcp_transitory;
  const uint64_t tcp[] = {tra, tra, est, est, est, tra};  // none, syn_out, established, fin_out, fin_in, closing
  for (uint32_t st = 0; st < 256; st++) {
    NatSession s;
    s.tcp = static_cast<uint8_t>(st);
    s.proto = static_cast<uint8_t>(NatProto::tcp);
    if (st < std::size(tcp)) REQUIRE(nat_timeout_of(s, kTimeouts) == tcp[st]);
    s.proto = static_cast<uint8_t>(NatProto::udp);
    REQUIRE(nat_timeout_of(s, kTimeouts) == kTimeouts.udp);
    s.proto = static_cast<uint8_t>(NatProto::icmp);
    REQUIRE(nat_timeout_of(s, kTimeouts) == kTimeouts.icmp);
  }
}

// nat_tcp_track skips the call where nat_tcp_move could change nothing: every state, flag byte and direction
// must end where nat_tcp_move alone takes it (a gate that skipped the far end's first answer, or a FIN, fails here).
TEST_CASE("NAT table: the inline TCP tracking gate moves every state as the full tracking does", "[nat]") {
  const uint8_t last = static_cast<uint8_t>(NatTcpState::closing);
  uint32_t moved = 0;
  for (uint8_t st = 0; st <= last; st++)
    for (uint32_t flags = 0; flags < 256; flags++)
      for (const bool outbound : {false, true}) {
        NatSession gated, full;
        gated.tcp = full.tcp = st;
        nat_tcp_track(gated, static_cast<uint8_t>(flags), outbound);
        nat_tcp_move(full, static_cast<uint8_t>(flags), outbound);
        REQUIRE(gated.tcp == full.tcp);
        moved += full.tcp != st;
      }
  CHECK(moved > 0);  // the cases do move states (not all skipped alike)
}

TEST_CASE("NAT translation: UDP and TCP out and back, every checksum right, a zero UDP checksum stays zero", "[nat]") {
  NatRig rig("nat_xlate");
  for (const bool tcp : {false, true}) {
    PacketBuilder b;
    b.ipv4(kHost, kFar);
    if (tcp)
      b.tcp(33000, 443, kSyn);
    else
      b.udp(33000, 53);
    Bytes f = b.payload(37).build();
    REQUIRE(rig.out(f) == NatOut::ok);
    uint8_t* ip = f.data() + 14;
    CHECK(nat_rd32(ip + 12) == kLinkIp);
    CHECK(nat_rd16(ip + 20) == 33000);
    CHECK(ip_sum_ok(ip));
    CHECK(l4_sum_ok(ip));

    PacketBuilder r;
    r.ipv4(kFar, kLinkIp);
    if (tcp)
      r.tcp(443, 33000, kSyn | kAck);
    else
      r.udp(53, 33000);
    Bytes g = r.payload(21).build();
    REQUIRE(rig.in(g) == NatIn::ok);
    ip = g.data() + 14;
    CHECK(nat_rd32(ip + 16) == kHost);
    CHECK(nat_rd16(ip + 22) == 33000);
    CHECK(ip_sum_ok(ip));
    CHECK(l4_sum_ok(ip));
  }
  Bytes z = PacketBuilder().ipv4(kHost2, kFar).udp(33000, 53).payload(10).build();
  nat_wr16(z.data() + 14 + 26, 0);  // sent without a checksum
  REQUIRE(rig.out(z) == NatOut::ok);
  CHECK(nat_rd16(z.data() + 14 + 20) != 33000);  // kHost holds 33000 already
  CHECK(nat_rd16(z.data() + 14 + 26) == 0);
  CHECK(ip_sum_ok(z.data() + 14));
}

TEST_CASE("NAT translation: ICMP echo identifiers, and unsolicited or untranslatable packets", "[nat]") {
  NatRig rig("nat_echo");
  Bytes f = PacketBuilder().ipv4(kHost, kFar).icmp(8, 0, 77, 1).payload(20).build();
  REQUIRE(rig.out(f) == NatOut::ok);
  CHECK(l4_sum_ok(f.data() + 14));
  CHECK(ip_sum_ok(f.data() + 14));
  Bytes g = PacketBuilder().ipv4(kFar, kLinkIp).icmp(0, 0, 77, 1).payload(20).build();
  REQUIRE(rig.in(g) == NatIn::ok);
  CHECK(nat_rd32(g.data() + 14 + 16) == kHost);
  CHECK(l4_sum_ok(g.data() + 14));

  Bytes stray = PacketBuilder().ipv4(kFar, kLinkIp).udp(53, 9999).payload(4).build();
  CHECK(rig.in(stray) == NatIn::no_session);
  Bytes later = PacketBuilder().ipv4(kHost, kFar, Ipv4Opts{.frag_offset = 10}).payload(40).build();
  CHECK(rig.out(later) == NatOut::untranslatable);
  Bytes unreach = PacketBuilder().ipv4(kHost, kFar).icmp(3, 3).payload(28).build();
  CHECK(rig.out(unreach) == NatOut::untranslatable);  // a LAN host's ICMP error has no mapping
}

TEST_CASE("NAT translation: an ICMP error about a mapped packet reaches the LAN host, embedded header too", "[nat]") {
  NatRig rig("nat_icmperr");
  Bytes f = PacketBuilder().ipv4(kHost, kFar).udp(33000, 53).payload(12).build();
  REQUIRE(rig.out(f) == NatOut::ok);
  // The router's port unreachable quotes the datagram as it left: header + the first 8 bytes of UDP (and more).
  Bytes quoted(f.begin() + 14, f.end());
  Bytes icmp = {3, 3, 0, 0, 0, 0, 0, 0};
  icmp.insert(icmp.end(), quoted.begin(), quoted.end());
  const uint16_t ck = static_cast<uint16_t>(~sum16(icmp.data(), icmp.size()));
  nat_wr16(icmp.data() + 2, ck);
  Bytes err = PacketBuilder().ipv4(ip4("192.0.2.1"), kLinkIp).raw_l4(1, icmp).build();
  REQUIRE(rig.in(err) == NatIn::ok);
  uint8_t* ip = err.data() + 14;
  uint8_t* inner = ip + 28;
  CHECK(nat_rd32(ip + 16) == kHost);
  CHECK(nat_rd32(inner + 12) == kHost);
  CHECK(nat_rd16(inner + 20) == 33000);
  CHECK(ip_sum_ok(ip));
  CHECK(l4_sum_ok(ip));  // the ICMP checksum over the rewritten quote
  CHECK(ip_sum_ok(inner));
  CHECK(l4_sum_ok(inner));  // the whole datagram was quoted: its UDP checksum must be right again

  // An error quoting a port nobody holds is dropped like any stray packet.
  nat_wr16(inner + 20, 1);
  CHECK(rig.in(err) == NatIn::no_session);
}

TEST_CASE("NAT endpoint rewrite: random headers keep every checksum right, then the TTL decrement too", "[nat]") {
  // nat_rewrite_endpoint updates each checksum once for an address and a port together; checked from scratch over
  // random addresses, ports, identifiers, lengths and TTLs, rewriting the source (outbound) or destination (inbound).
  std::mt19937 rng(20261130);
  auto u32 = [&] { return static_cast<uint32_t>(rng()); };
  auto u16 = [&] { return static_cast<uint16_t>(rng()); };
  for (int i = 0; i < 3000; i++) {
    const int kind = i % 3;  // UDP, TCP, ICMP echo
    PacketBuilder b;
    b.ipv4(u32(), u32(), {.ttl = static_cast<uint8_t>(2 + rng() % 254)});
    if (kind == 0)
      b.udp(u16(), u16());
    else if (kind == 1)
      b.tcp(u16(), u16(), kAck);
    else
      b.icmp(kNatIcmpEchoRequest, 0, u16(), u16());
    Bytes f = b.payload(rng() % 64).build();
    uint8_t* ip = f.data() + 14;
    uint8_t* l4 = ip + 20;
    const uint8_t proto = ip[9];
    const bool outbound = (i / 3) % 2 == 0;
    uint8_t* port_at = nat_port_field(l4, proto, outbound);
    const uint32_t addr = u32();
    const uint16_t port = u16();
    nat_rewrite_endpoint(ip, proto, ip + (outbound ? 12 : 16), addr, port_at, port, nat_l4_sum(l4, proto));
    INFO("packet " << i << " proto " << int{proto});
    REQUIRE(nat_rd32(ip + (outbound ? 12 : 16)) == addr);
    REQUIRE(nat_rd16(port_at) == port);
    REQUIRE(ip_sum_ok(ip));
    REQUIRE(l4_sum_ok(ip));
    if (proto == kIpProtoUdp) REQUIRE(nat_rd16(l4 + 6) != 0);  // a computed UDP checksum is never sent as 0
    const uint8_t ttl = ip[8];
    ipv4_ttl_decrement(ip);
    REQUIRE(ip[8] == ttl - 1);
    REQUIRE(ip_sum_ok(ip));
  }
}

TEST_CASE("NAT endpoint rewrite with the TTL folded in: the same bytes as the rewrite and then the TTL decrement",
          "[nat]") {
  // The fast lanes decrement the TTL inside the NAT rewrite (nat_ttl_decrement as `ip_more`, one header checksum
  // update); the general path rewrites, then calls ipv4_ttl_decrement. Both must leave identical frames.
  std::mt19937 rng(20261201);
  auto u32 = [&] { return static_cast<uint32_t>(rng()); };
  auto u16 = [&] { return static_cast<uint16_t>(rng()); };
  for (int i = 0; i < 3000; i++) {
    PacketBuilder b;
    b.ipv4(u32(), u32(), {.ttl = static_cast<uint8_t>(2 + rng() % 254)});
    if (i % 2 == 0)
      b.udp(u16(), u16());
    else
      b.tcp(u16(), u16(), kAck);
    Bytes two_steps = b.payload(rng() % 64).build();
    Bytes folded = two_steps;
    const bool outbound = (i / 2) % 2 == 0;
    const uint32_t addr = u32();
    const uint16_t port = u16();
    auto rewrite = [&](Bytes& f, uint32_t ip_more_of_ttl) {
      uint8_t* ip = f.data() + 14;
      uint8_t* l4 = ip + 20;
      nat_rewrite_endpoint(ip, ip[9], ip + (outbound ? 12 : 16), addr, nat_port_field(l4, ip[9], outbound), port,
                           nat_l4_sum(l4, ip[9]), ip_more_of_ttl);
    };
    rewrite(two_steps, 0);
    ipv4_ttl_decrement(two_steps.data() + 14);
    rewrite(folded, nat_ttl_decrement(folded.data() + 14));
    INFO("packet " << i);
    REQUIRE(folded == two_steps);
    REQUIRE(ip_sum_ok(folded.data() + 14));
  }
}

TEST_CASE("NAT lane rewrites: the same bytes and session state as the general path's rewrites", "[nat]") {
  // The fast lanes' rewrites (nat_lane_outbound_rewrite, nat_lane_inbound_rewrite) skip the header-length and ICMP
  // tests for what lane_ipv4_ok admits (option-less TCP or UDP); over random such packets, with UDP checksums of 0
  // among them and every TCP flag byte, both must leave what nat_outbound_rewrite / nat_inbound_rewrite leave.
  std::mt19937 rng(20261202);
  auto u32 = [&] { return static_cast<uint32_t>(rng()); };
  auto u16 = [&] { return static_cast<uint16_t>(rng()); };
  for (int i = 0; i < 4000; i++) {
    const bool tcp = i % 2 == 1, outbound = (i / 2) % 2 == 0;
    PacketBuilder b;
    b.ipv4(u32(), u32(), {.ttl = static_cast<uint8_t>(2 + rng() % 254)});
    if (tcp)
      b.tcp(u16(), u16(), static_cast<uint8_t>(rng()));
    else
      b.udp(u16(), u16());
    Bytes general = b.payload(rng() % 64).build();
    if (!tcp && i % 8 == 0) std::memset(general.data() + 14 + 20 + 6, 0, 2);  // sent without a UDP checksum
    Bytes lane = general;
    NatSession sg;
    sg.in_ip = u32();
    sg.in_port = u16();
    sg.ext_port = u16();
    sg.tcp = static_cast<uint8_t>(rng() % (static_cast<uint8_t>(NatTcpState::closing) + 1));
    NatSession sl = sg;
    const uint32_t ext_ip = u32();
    uint8_t* gip = general.data() + 14;
    uint8_t* lip = lane.data() + 14;
    if (outbound) {
      nat_outbound_rewrite(gip, sg, ext_ip, nat_ttl_decrement(gip));
      nat_lane_outbound_rewrite(lip, tcp, sl, ext_ip, nat_ttl_decrement(lip));
    } else {
      nat_inbound_rewrite(sg, gip, gip + 20, gip + 22, 77, nat_ttl_decrement(gip));
      nat_lane_inbound_rewrite(sl, lip, tcp, 77, nat_ttl_decrement(lip));
    }
    INFO("packet " << i << (tcp ? " tcp" : " udp") << (outbound ? " out" : " in"));
    REQUIRE(lane == general);
    REQUIRE(sl.tcp == sg.tcp);
    REQUIRE(sl.last_seen_tsc == sg.last_seen_tsc);
    REQUIRE(ip_sum_ok(lip));
  }
}

TEST_CASE("NAT checksum update: every checksum value and deltas at the fold's edges, as RFC 1624 eqn. 3", "[nat]") {
  // nat_fix_by folds ~HC + delta once with a rotation; the reference adds the carries back one at a time. A fold
  // that drops the end-around carry is wrong only where the halves' sum overflows (~1 in 10,000 random headers), so
  // every checksum value meets deltas that make it overflow.
  const uint32_t deltas[] = {0, 1, 0xfffe, 0xffff, 0x10000, 0x10001, 0x1fffe, 0x1ffff, 0x2fffd, 0x7fff8, 0xffff0};
  uint8_t at[2];
  for (uint32_t hc = 0; hc <= 0xffff; hc++) {
    for (uint32_t delta : deltas) {
      for (bool udp : {false, true}) {
        const auto hc16 = static_cast<uint16_t>(hc);
        std::memcpy(at, &hc16, 2);
        nat_fix_by(NatSum{at, udp}, delta);
        uint32_t sum = (~hc & 0xffffu) + delta;
        while (sum >> 16 != 0) sum = (sum & 0xffffu) + (sum >> 16);
        uint16_t want = static_cast<uint16_t>(~sum);
        if (udp && want == 0) want = 0xffff;
        uint16_t got;
        std::memcpy(&got, at, 2);
        INFO("checksum " << hc << " delta " << delta << " udp " << udp);
        REQUIRE(got == want);
      }
    }
  }
}
