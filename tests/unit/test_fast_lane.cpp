// The LAN and WAN fast lanes against the general path: the same traffic through two real control planes and
// workers, one with the fast lanes and one without, must leave every port as the same frames with the same counters.
// The traffic mixes ordinary flows, untagged and tagged (which a fast lane takes once cached), with every exception
// it must hand over: QinQ, unconfigured VLANs, sources on another subnet's VLAN, IP options, fragments, TTL 1, bad
// checksums and lengths, LAN and multicast destinations, ICMP, IPv6; from the WAN also spoofed sources, unknown
// ports, probe replies, unresolved and tagged LAN hosts, TCP FIN/RST/SYN-ACK. Host-pair classes, too.
#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <string>

#include <fmt/format.h>
#include <rte_ip.h>
#include <catch2/catch.hpp>

#include "control/operations/stats.hpp"
#include "dataplane/fast_lane.hpp"
#include "dataplane/nat_session_table.hpp"
#include "dataplane/probe_ids.hpp"
#include "tests/unit/control_rig.hpp"

using namespace wansteer;
using namespace wansteer::test;

namespace {

const Mac kHost{0x02, 0, 0, 0, 0x10, 0x10};

// Fiber primary, lte backup; voip (UDP 5060, or DSCP 46), payments (TCP 443 to 198.51.100.0/28), guest (VLAN 20,
// fiber only), default. `variant` adds egress work or host-pair steering so those routes are compared too;
// mixed_routes gives one class a direct route on one link and an egress route on the other (and fiber flaps), so
// cached flows keep moving between direct and egress routes.
enum class Variant { plain, egress, host_pair, mixed_routes };

Policy policy(Variant v) {
  Policy p = rig_office_skeleton();
  if (v == Variant::egress) p.links[0].capacity_up_bps = 10'000'000'000ull;  // shaped: every packet queued, released
  p.classes = {ClassSpec{"voip", SteerMode::priority, {0, 1}, {}},
               ClassSpec{"payments", SteerMode::balance, {0, 1}, {}}, ClassSpec{"guest", SteerMode::priority, {0}, {}},
               ClassSpec{"default", SteerMode::priority, {0, 1}, {}}};
  if (v == Variant::host_pair) {  // balance: a flow's own pick differs from its pair's link for about half the flows
    p.classes[0].stick_by = StickBy::host_pair;
    p.classes[0].mode = SteerMode::balance;
  }
  p.default_class = 3;
  ClassRule guest;
  guest.class_id = 2;
  guest.vlan = 20;
  ClassRule voip;
  voip.class_id = 0;
  voip.proto = 17;
  voip.dport = PortRange{5060, 5061};
  ClassRule voip_dscp;
  voip_dscp.class_id = 0;
  voip_dscp.dscp = {46};
  ClassRule pay;
  pay.class_id = 1;
  pay.proto = 6;
  pay.dport = PortRange{443, 443};
  pay.dst4 = {Prefix4{ip4("198.51.100.0"), 28}};
  p.rules = {guest, voip, voip_dscp, pay};
  if (v == Variant::egress) {
    p.class_limits.resize(4);
    RateLimitSpec lim;
    lim.rate_bps = 200'000;  // the rig's clock stands still: after the burst, the rest is re-marked
    lim.burst_bytes = 2000;
    lim.remark = true;
    lim.remark_dscp = 10;
    p.class_limits[0].limit = lim;
    p.class_limits[3].on_backup = BackupMode::block;
  }
  if (v == Variant::mixed_routes) {  // voip: egress on fiber, direct on lte; default: direct on fiber, blocked on lte
    for (auto& c : p.classes) c.on_recovery = OnRecovery::back;  // flows return with fiber: they keep moving
    p.class_limits.resize(4);
    // A limit that nothing here reaches: the route is through egress, and the verdicts do not depend on which
    // packet of a burst comes first (the fast lane may reorder flows within a burst; the clock stands still).
    RateLimitSpec lim;
    lim.rate_bps = 1'000'000'000;
    lim.burst_bytes = 10'000'000;
    p.class_limits[0].limit = lim;
    p.class_limits[0].on_backup = BackupMode::unlimited;
    p.class_limits[3].on_backup = BackupMode::block;
  }
  return p;
}

// One frame of flow `f` (0..47), or with probability ~1/4 one of the exceptions. Flows f % 8 == 7 are guests
// (192.168.20.10-12, tagged VLAN 20), f % 8 == 6 staff hosts that send priority-tagged frames (VLAN 0, a PCP).
Bytes frame(std::mt19937& rng, uint32_t f) {
  const bool guest = f % 8 == 7;
  const uint32_t src = guest ? ip4("192.168.20.10") + f % 3 : ip4("192.168.10.10") + f % 8;
  const uint32_t dst = ip4("203.0.113.1") + f % 5;
  const uint16_t sport = static_cast<uint16_t>(40000 + f);
  std::uniform_int_distribution<int> pick(0, 63);
  const int x = pick(rng);
  Ipv4Opts o;
  o.ttl = static_cast<uint8_t>(2 + f % 60);
  if (x == 0) o.ttl = 1;                             // expires here
  if (x == 1) o.options = {0x01, 0x01, 0x01, 0x00};  // NOPs + EOL: IHL 6
  if (x == 2) o.checksum = 0x1234;                   // wrong header checksum
  if (x == 3) o.mf = true;                           // a first fragment (ports present)
  if (x == 4) o.frag_offset = 8;                     // a later fragment
  if (x == 5) o.total_length = 400;                  // claims more than the frame holds
  if (x == 6) o.dscp = 46;
  if (x == 7) o.df = true;
  int tag = guest ? 20 : (f % 8 == 6 ? 0 : -1);  // -1: untagged
  uint16_t tpid = 0x8100;
  if (x == 8) tag = guest ? -1 : 20;  // a source of the other subnet's VLAN: source_not_in_subnet
  if (x == 17) tag = 30;              // a VLAN the policy does not have: vlan_not_configured
  if (x == 19) tpid = 0x88a8;         // one 802.1ad tag: the general path's
  PacketBuilder b(PacketBuilder::kDefaultDst, kHost);
  if (x == 18) b.vlan(20, 0x88a8);  // QinQ: qinq_tagged
  if (tag >= 0 || x == 19) b.vlan(static_cast<uint16_t>(std::max(tag, 0)), tpid, static_cast<uint8_t>(f % 8));
  if (x == 9) return b.ipv4(src, ip4("192.168.10.77"), o).udp(sport, 53).build();      // LAN-local
  if (x == 10) return b.ipv4(src, ip4("224.0.0.5"), o).udp(sport, 53).build();         // multicast
  if (x == 11) return b.ipv4(src, ip4("192.168.10.1"), o).icmp(8).payload(8).build();  // ping the edge
  if (x == 12) return b.ipv4(src, dst, o).icmp(8).payload(8).build();                  // ping the internet
  if (x == 13) return b.ipv6(ip6("fd00::10"), ip6("2001:db8::1")).udp(sport, 5060).payload(8).build();
  if (x == 14) return b.ipv4(src, dst, o).tcp(sport, 443, 0x10, {}, 4).build();              // data offset 4 (bad)
  if (x == 20) return b.ipv4(src, dst, o).tcp(sport, 443, 0x10, {}, 15).payload(8).build();  // offset beyond packet
  if (x == 15) return b.ipv4(src, dst, o).udp(sport, 5060).payload(4).trailer(6).build();    // Ethernet padding
  if (x == 16) {  // truncated inside the UDP header
    Bytes t = b.ipv4(src, dst, o).udp(sport, 5060).build();
    t.resize(14 + 20 + 4);
    return t;
  }
  b.ipv4(src, f % 3 == 0 ? ip4("198.51.100.5") : dst, o);  // a third to the payments range
  switch (f % 4) {
    case 0:
      return b.udp(sport, 5060).payload(20 + f).build();
    case 1:
      return b.tcp(sport, 443, 0x10).payload(f).build();
    case 2:
      return b.tcp(sport, 443, 0x10, {0x01, 0x01, 0x01, 0x01}).payload(3).build();  // TCP options
    default:
      return b.udp(sport, static_cast<uint16_t>(1000 + f)).payload(1).build();
  }
}

void same_totals(const CounterTotals& a, const CounterTotals& b) {
  for (uint32_t p = 0; p < 3; p++) {
    INFO("port " << p);
    CHECK(a.port[p].rx_packets == b.port[p].rx_packets);
    CHECK(a.port[p].rx_bytes == b.port[p].rx_bytes);
    CHECK(a.port[p].tx_packets == b.port[p].tx_packets);
    CHECK(a.port[p].tx_bytes == b.port[p].tx_bytes);
    CHECK(a.port[p].drops == b.port[p].drops);
  }
  for (uint32_t r = 0; r < kDropReasonCount; r++) {
    INFO("drop " << kDropReasonNames[r]);
    CHECK(a.drop[r] == b.drop[r]);
  }
  for (uint32_t c = 0; c < kMaxClasses; c++) {
    CHECK(a.class_no_link[c] == b.class_no_link[c]);
    for (uint32_t l = 0; l < kMaxLinks; l++) {
      INFO("class " << c << " link " << l);
      CHECK(a.class_link_packets[c][l] == b.class_link_packets[c][l]);
      CHECK(a.class_link_bytes[c][l] == b.class_link_bytes[c][l]);
      CHECK(a.egress[c][l].meter_conform == b.egress[c][l].meter_conform);
      CHECK(a.egress[c][l].meter_remarked == b.egress[c][l].meter_remarked);
      CHECK(a.egress[c][l].meter_exceed_drops == b.egress[c][l].meter_exceed_drops);
      CHECK(a.egress[c][l].blocked_drops == b.egress[c][l].blocked_drops);
      CHECK(a.egress[c][l].queue_drops == b.egress[c][l].queue_drops);
    }
  }
  CHECK(a.flow_hits == b.flow_hits);
  CHECK(a.flow_misses == b.flow_misses);
  CHECK(a.flow_inserts == b.flow_inserts);
  CHECK(a.flow_moves == b.flow_moves);
  CHECK(a.flow_expired == b.flow_expired);
  CHECK(a.flow_entries == b.flow_entries);
  CHECK(a.icmp_echo_replies == b.icmp_echo_replies);
  CHECK(a.to_control == b.to_control);
}

// Frames a port sent, in order, per flow would be stricter; the fast lane may let an exception of a flow (say
// one with IP options) leave after that flow's ordinary packets of the same burst, so compare as multisets.
// Packets of different flows may change order within a burst too: where a meter re-marks, which packet of the
// burst gets the new DSCP can differ (how many cannot: the counters are compared), so with `ignore_dscp` the TOS
// byte and header checksum of IPv4 frames are left out. (Strings: GCC 12 warns falsely sorting byte vectors.)
std::vector<std::string> sorted(const std::vector<Bytes>& v, bool ignore_dscp) {
  std::vector<std::string> s;
  for (const Bytes& b : v) {
    s.emplace_back(b.begin(), b.end());
    if (ignore_dscp && b.size() >= 34 && b[12] == 0x08 && b[13] == 0x00) s.back()[15] = s.back()[24] = s.back()[25] = 0;
  }
  std::sort(s.begin(), s.end());
  return s;
}

// With `ignore_dscp`, what must still hold: as many frames of each TOS byte (a re-marked packet does carry the new
// DSCP, whichever it is), each untagged IPv4 frame's header checksum right.
std::map<uint8_t, size_t> tos_counts(const std::vector<Bytes>& v) {
  std::map<uint8_t, size_t> n;
  for (const Bytes& b : v)
    if (b.size() >= 34 && b[12] == 0x08 && b[13] == 0x00) n[b[15]]++;
  return n;
}
bool ipv4_checksums_right(const std::vector<Bytes>& v) {
  for (const Bytes& b : v) {
    if (b.size() < 34 || b[12] != 0x08 || b[13] != 0x00) continue;
    const size_t ihl = (b[14] & 0x0f) * 4u;
    if (b.size() < 14 + ihl || rte_raw_cksum(b.data() + 14, ihl) != 0xffff) return false;
  }
  return true;
}

std::string hex(const std::string& f) {
  std::string s;
  for (unsigned char c : f) s += fmt::format("{:02x}", c);
  return s;
}

// "" when equal; else the counts and the first frame that differs, in hex (readable in a failure message).
std::string differences(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a == b) return "";
  std::string s = fmt::format("fast lane sent {}, general path {}", a.size(), b.size());
  for (size_t i = 0; i < std::max(a.size(), b.size()); i++) {
    const std::string x = i < a.size() ? a[i] : "", y = i < b.size() ? b[i] : "";
    if (x != y) return s + fmt::format("; first difference:\n  fast    {}\n  general {}", hex(x), hex(y));
  }
  return s;
}

// One round for both rigs: 32 frames from make() into port `in_port` of each, one poll, then every port must have
// sent the same frames. Returns how many frames each port of the fast rig sent.
template <typename Make>
std::array<size_t, 3> same_round(ControlRig& fast, ControlRig& general, int in_port, Make make, bool ignore_dscp) {
  for (int i = 0; i < 32; i++) {
    const Bytes f = make();
    fast.inject(in_port, f);
    general.inject(in_port, f);
  }
  fast.poll();
  general.poll();
  std::array<size_t, 3> sent{};
  for (int port = 0; port < 3; port++) {
    INFO("port " << port);
    auto a = fast.sent(port), b = general.sent(port);
    sent[port] = a.size();
    CHECK(differences(sorted(a, ignore_dscp), sorted(b, ignore_dscp)) == "");
    if (ignore_dscp) {
      CHECK(tos_counts(a) == tos_counts(b));
      CHECK(ipv4_checksums_right(a));
    }
  }
  return sent;
}

void compare(Variant v) {
  ControlRig fast(policy(v));
  ControlRig general(policy(v));
  general.w->fast_lane = false;
  const unsigned base_fast = rte_mempool_in_use_count(fast.pool);
  const unsigned base_general = rte_mempool_in_use_count(general.pool);
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<uint32_t> flow(0, 47);
  size_t sent = 0;
  const bool remarks = v == Variant::egress;
  bool fiber_up = true;
  for (int round = 0; round < 60; round++) {
    // Cached flows on fiber must move when it goes (the fast lane hands them over), guest has no link; with
    // mixed_routes fiber flaps every 6 rounds, mid-flow.
    if (v == Variant::mixed_routes ? round % 6 == 5 : (round == 20 || round == 40)) {
      fiber_up = !fiber_up;
      const std::string cmd = fiber_up ? "link up fiber" : "link down fiber";
      REQUIRE(fast.cp->handle_command(cmd).rfind("link fiber: admin", 0) == 0);
      REQUIRE(general.cp->handle_command(cmd).rfind("link fiber: admin", 0) == 0);
    }
    INFO("round " << round);
    for (const size_t n : same_round(
             fast, general, 0, [&] { return frame(rng, flow(rng)); }, remarks))
      sent += n;
  }
  CHECK(sent > 1000);
  same_totals(sum_counters({fast.w}), sum_counters({general.w}));
  // The fast lane did take most cached flows, and the general rig never used it.
  CHECK(fast.w->counters.fast_lane.get() > 800);
  CHECK(general.w->counters.fast_lane.get() == 0);
  egress_drain(*fast.w);
  egress_drain(*general.w);
  CHECK(rte_mempool_in_use_count(fast.pool) == base_fast);
  CHECK(rte_mempool_in_use_count(general.pool) == base_general);
}

}  // namespace

TEST_CASE("fast lane: same frames and counters as the general path, plain policy", "[fast_lane]") {
  compare(Variant::plain);
}

TEST_CASE("fast lane: same frames and counters with a shaper, a re-marking limit and a backup block", "[fast_lane]") {
  compare(Variant::egress);
}

TEST_CASE("fast lane: same frames and counters with a host-pair class", "[fast_lane]") { compare(Variant::host_pair); }

TEST_CASE("fast lane: same frames and counters while flows move between direct and egress routes as fiber flaps",
          "[fast_lane]") {
  compare(Variant::mixed_routes);
}

// Two rigs, one with the fast lane and one without, with one UDP flow (192.168.10.10:40000 -> 203.0.113.9:9)
// already cached in both, so its next packets are the fast lane's where it takes them.
struct CachedFlowPair {
  ControlRig fast{policy(Variant::plain)};
  ControlRig general{policy(Variant::plain)};

  static Bytes pkt(uint8_t ttl, uint16_t id) {
    Ipv4Opts o;
    o.ttl = ttl;
    o.id = id;
    return PacketBuilder(PacketBuilder::kDefaultDst, kHost)
        .ipv4(ip4("192.168.10.10"), ip4("203.0.113.9"), o)
        .udp(40000, 9)
        .build();
  }
  CachedFlowPair() {
    general.w->fast_lane = false;
    inject(pkt(64, 0));
    poll();
    fast.sent(1);
    general.sent(1);
  }
  void inject(const Bytes& f) {
    fast.inject(0, f);
    general.inject(0, f);
  }
  void poll() {
    fast.poll();
    general.poll();
  }
};

TEST_CASE("fast lane: TTL 2 leaves with TTL 1 and TTL 1 expires, the same through both front ends", "[fast_lane]") {
  CachedFlowPair r;
  for (uint16_t i = 0; i < 30; i++) r.inject(CachedFlowPair::pkt(static_cast<uint8_t>(1 + i % 3), i));  // 1, 2, 3, 1..
  r.poll();
  auto a = r.fast.sent(1), b = r.general.sent(1);
  CHECK(differences(sorted(a, false), sorted(b, false)) == "");
  REQUIRE(a.size() == 20);
  size_t ttl1 = 0;
  for (const Bytes& f : a) {
    uint32_t sum = 0;  // the IPv4 header's one's-complement sum: all ones when its checksum is right
    for (size_t i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    CHECK(sum == 0xffff);
    ttl1 += f[14 + 8] == 1;
  }
  CHECK(ttl1 == 10);  // the TTL-2 packets, forwarded with 1 left
  same_totals(sum_counters({r.fast.w}), sum_counters({r.general.w}));
  CHECK(r.fast.w->counters.drop[static_cast<uint32_t>(DropReason::ttl_expired)].get() == 10);
  CHECK(r.fast.w->counters.fast_lane.get() == 20);  // TTL 1 was left to the general path, which dropped it
}

TEST_CASE("fast lane: the TTL and checksum it writes are those of ipv4_decrement_ttl, for every TTL and checksum",
          "[fast_lane]") {
  // A cached flow's packets with TTL 2..255 and every header checksum value reachable through the identification
  // field: the frames the fast lane sends must equal the general path's byte for byte.
  CachedFlowPair r;
  uint64_t compared = 0, injected = 0;
  for (uint32_t id = 0; id < 65536; id += 7) {
    const uint8_t ttl = static_cast<uint8_t>(2 + id % 254);
    r.inject(CachedFlowPair::pkt(ttl, static_cast<uint16_t>(id)));
    if (++injected % kBurst == 0 || id + 7 >= 65536) {  // one poll takes one burst
      r.poll();
      auto a = r.fast.sent(1), b = r.general.sent(1);
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); i++) REQUIRE(a[i] == b[i]);
      compared += a.size();
    }
  }
  CHECK(compared == 65536 / 7 + 1);
  CHECK(r.fast.w->counters.fast_lane.get() == compared);
}

// ---- Tagged frames and host-pair flows, step by step: what the LAN lane takes, exactly, and what it leaves. ----
namespace {

// What port `port` of rig `r` sent, sorted: each frame's bytes after its mbuf's data_off (2 bytes), so where a frame
// starts in its buffer is compared too. A frame must be one segment with pkt_len = data_len.
std::vector<std::string> drained(ControlRig& r, int port) {
  std::vector<std::string> out;
  void* p;
  while (rte_ring_dequeue(r.tx[port], &p) == 0) {
    auto* m = static_cast<rte_mbuf*>(p);
    CHECK(m->nb_segs == 1);
    CHECK(m->pkt_len == m->data_len);
    std::string s{static_cast<char>(m->data_off >> 8), static_cast<char>(m->data_off & 0xff)};
    s.append(rte_pktmbuf_mtod(m, const char*), m->data_len);
    out.push_back(std::move(s));
    rte_pktmbuf_free(m);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Two rigs of one policy, with the fast lane and without, fed the same frames.
struct TwinRigs {
  ControlRig fast, general;
  explicit TwinRigs(const Policy& p) : fast(p), general(p) { general.w->fast_lane = false; }
  void inject(const Bytes& f) {
    fast.inject(0, f);
    general.inject(0, f);
  }
  // One poll of each; every port must have sent the same frames. Returns what each port of the fast rig sent.
  std::array<std::vector<std::string>, 3> poll() {
    fast.poll();
    general.poll();
    std::array<std::vector<std::string>, 3> sent;
    for (int port = 0; port < 3; port++) {
      INFO("port " << port);
      sent[port] = drained(fast, port);
      CHECK(sent[port] == drained(general, port));
    }
    return sent;
  }
  uint64_t lane() const { return fast.w->counters.fast_lane.get(); }
};

using Tags = std::vector<std::pair<uint16_t, uint16_t>>;  // (VLAN id, TPID), outermost first

// A UDP frame from the LAN host `src`:sport to 203.0.113.9:dport with these tags (PCP 5), IP id `id`.
Bytes lan_udp(uint32_t src, uint16_t sport, uint16_t dport, const Tags& tags, uint16_t id) {
  PacketBuilder b(PacketBuilder::kDefaultDst, kHost);
  for (const auto& [vid, tpid] : tags) b.vlan(vid, tpid, 5);
  Ipv4Opts o;
  o.id = id;
  return b.ipv4(src, ip4("203.0.113.9"), o).udp(sport, dport).payload(10).build();
}

}  // namespace

TEST_CASE(
    "fast lane: guest VLAN and priority-tagged flows leave untagged, as the general path sends them; frames "
    "the policy does not admit so tagged go to it and are dropped with their reason",
    "[fast_lane]") {
  TwinRigs r(policy(Variant::plain));
  const uint32_t guest = ip4("192.168.20.10"), staff = ip4("192.168.10.10");
  const Tags vlan20{{20, 0x8100}}, priority{{0, 0x8100}};
  r.inject(lan_udp(guest, 40000, 9, vlan20, 0));    // class guest (VLAN 20), fiber
  r.inject(lan_udp(staff, 40001, 9, priority, 0));  // VLAN 0: the untagged subnet's; class default, fiber
  REQUIRE(r.poll()[1].size() == 2);                 // both cached now, in both rigs
  const uint64_t lane0 = r.lane();
  for (uint16_t id = 1; id <= 8; id++) {
    r.inject(lan_udp(guest, 40000, 9, vlan20, id));
    r.inject(lan_udp(staff, 40001, 9, priority, id));
  }
  // The same flows' 5-tuples on frames the policy does not admit as tagged.
  r.inject(lan_udp(guest, 40000, 9, {{30, 0x8100}}, 9));                 // vlan_not_configured
  r.inject(lan_udp(guest, 40000, 9, {}, 10));                            // guest source untagged: source_not_in_subnet
  r.inject(lan_udp(staff, 40001, 9, vlan20, 11));                        // staff source on VLAN 20: the same
  r.inject(lan_udp(guest, 40000, 9, {{20, 0x88a8}, {20, 0x8100}}, 12));  // qinq_tagged
  const auto sent = r.poll();
  CHECK(r.lane() - lane0 == 16);  // the 16 admitted packets of cached flows, no other
  REQUIRE(sent[1].size() == 16);
  for (const std::string& s : sent[1]) {
    const std::string f = s.substr(2);
    CHECK(f.size() == 14 + 20 + 8 + 10);      // untagged
    CHECK((f[12] == 0x08 && f[13] == 0x00));  // IPv4 right after the MACs
    CHECK(f.compare(0, 6, std::string(kRigFiberGw.begin(), kRigFiberGw.end())) == 0);
  }
  same_totals(sum_counters({r.fast.w}), sum_counters({r.general.w}));
  const auto drops = [&](DropReason d) { return r.fast.w->counters.drop[static_cast<uint32_t>(d)].get(); };
  CHECK(drops(DropReason::vlan_not_configured) == 1);
  CHECK(drops(DropReason::source_not_in_subnet) == 2);
  CHECK(drops(DropReason::qinq_tagged) == 1);
}

TEST_CASE(
    "fast lane: host-pair flows take the pair's link, and once the pair moves (its old link still up) none "
    "leaves on the old one",
    "[fast_lane]") {
  // voip steered by host pair, priority fiber then lte, back to fiber when it returns. Flows A and B of one pair.
  Policy p = policy(Variant::host_pair);
  p.classes[0].mode = SteerMode::priority;
  p.classes[0].on_recovery = OnRecovery::back;
  TwinRigs r(p);
  const uint32_t host = ip4("192.168.10.10");
  uint16_t id = 0;
  const auto send = [&](bool a, bool b) {  // 4 packets of A and/or B, one poll; returns (fiber, lte) frames, lane
    for (int k = 0; k < 4; k++) {
      if (a) r.inject(lan_udp(host, 40000, 5060, {}, id++));
      if (b) r.inject(lan_udp(host, 40001, 5060, {}, id++));
    }
    const uint64_t before = r.lane();
    const auto sent = r.poll();
    return std::array<uint64_t, 3>{sent[1].size(), sent[2].size(), r.lane() - before};
  };
  const auto link = [&](const std::string& cmd) {
    REQUIRE(r.fast.cp->handle_command(cmd).rfind("link fiber: admin", 0) == 0);
    REQUIRE(r.general.cp->handle_command(cmd).rfind("link fiber: admin", 0) == 0);
  };
  using A = std::array<uint64_t, 3>;
  CHECK(send(true, true) == A{8, 0, 0});  // new flows: the general path's, pair on fiber
  CHECK(send(true, true) == A{8, 0, 8});  // cached: the lane's
  link("link down fiber");
  CHECK(send(false, true) == A{0, 4, 0});  // B (and with it the pair) must move to lte: the general path's
  CHECK(send(false, true) == A{0, 4, 4});  // the lane's again, on the pair's new link
  link("link up fiber");
  // A's own entry may stay on fiber, but the pair's, on lte (still up), must move back: the general path's, and
  // nothing of the pair leaves on lte. Then the lane's again, on fiber.
  CHECK(send(true, true) == A{8, 0, 0});
  CHECK(send(true, true) == A{8, 0, 8});
  same_totals(sum_counters({r.fast.w}), sum_counters({r.general.w}));
  CHECK(r.fast.w->counters.flow_moves.get() == 4);  // B and the pair, each there and back
}

// ---- The WAN fast lane (wan_fast_lane.hpp): replies to NAT sessions from fiber, both front ends compared. ----
namespace {

// Flow f (0..47) of LAN host f % 8: 192.168.10.10-15 with static neighbours, .16 and .17 unresolved, and (f % 8 == 7)
// the guest 192.168.20.10 on VLAN 20. Even flows UDP, odd ones TCP; port preservation makes 40000 + f its outside
// port on fiber's 100.64.1.2.
const Mac kGuestHost{0x02, 0, 0, 0, 0x20, 0x10};
uint32_t wan_flow_host(uint32_t f) { return f % 8 == 7 ? ip4("192.168.20.10") : ip4("192.168.10.10") + f % 8; }
uint32_t wan_flow_far(uint32_t f) { return ip4("203.0.113.1") + f % 5; }
uint16_t wan_flow_far_port(uint32_t f) { return static_cast<uint16_t>(f % 2 ? 443 : 5000 + f); }

Policy wan_policy() {
  Policy p = policy(Variant::plain);
  for (uint8_t h = 0; h < 6; h++)
    p.lan.neighbors.push_back(
        StaticNeighbor{ip4("192.168.10.10") + h, MacAddress{0x02, 0, 0, 0, 0x10, uint8_t(0x10 + h)}});
  MacAddress g;
  std::copy(kGuestHost.begin(), kGuestHost.end(), g.begin());
  p.lan.neighbors.push_back(StaticNeighbor{ip4("192.168.20.10"), g});
  return p;
}

// The LAN packet that opens flow f's session (a SYN for TCP flows).
Bytes wan_flow_open(uint32_t f) {
  PacketBuilder b(PacketBuilder::kDefaultDst, kHost);
  if (f % 8 == 7) b.vlan(20);
  b.ipv4(wan_flow_host(f), wan_flow_far(f));
  const uint16_t sport = static_cast<uint16_t>(40000 + f);
  return (f % 2 ? b.tcp(sport, 443, 0x02) : b.udp(sport, wan_flow_far_port(f))).payload(4).build();
}

// A reply of flow f from the internet to fiber's address, or with probability ~1/4 one of the exceptions the lane
// must leave to the general path (a bad TCP header among them), or a TCP FIN, RST or SYN-ACK (with an MSS to clamp)
// the lane itself takes.
Bytes wan_reply(std::mt19937& rng, uint32_t f) {
  const uint32_t link_ip = ip4("100.64.1.2");
  uint32_t src = wan_flow_far(f), dst = link_ip;
  uint16_t dport = static_cast<uint16_t>(40000 + f);
  const int x = std::uniform_int_distribution<int>(0, 63)(rng);
  Ipv4Opts o;
  o.ttl = static_cast<uint8_t>(2 + f % 60);
  o.id = static_cast<uint16_t>(x);
  if (x == 0) o.ttl = 1;
  if (x == 1) o.options = {0x01, 0x01, 0x01, 0x00};
  if (x == 2) o.checksum = 0x1234;
  if (x == 3) o.mf = true;
  if (x == 4) o.frag_offset = 8;
  if (x == 5) o.total_length = 400;
  if (x == 6) dst = ip4("100.64.1.3");     // not the link's address: no route
  if (x == 7) src = ip4("192.168.10.99");  // spoofed: a LAN source from the WAN
  if (x == 8) dport = 39999;               // no session
  if (x == 9) dport = kProbePortBase;      // a probe reply's port: control's
  PacketBuilder b(PacketBuilder::kDefaultDst, Mac{0x02, 0, 0, 0, 0x01, 0x01});
  if (x == 10) b.vlan(7);
  b.ipv4(src, dst, o);
  if (x == 11) return b.icmp(0, 0, dport).payload(8).build();  // an echo reply: no such ICMP session
  if (x == 12) return b.icmp(3, 3).payload(28).build();        // an error quoting nothing of ours
  if (f % 2 == 0) return b.udp(wan_flow_far_port(f), dport).payload(10 + f).build();
  uint8_t flags = 0x10;  // ACK
  Bytes opts;
  if (x == 13) flags = 0x11;  // FIN
  if (x == 14) flags = 0x04;  // RST
  if (x == 15) {
    flags = 0x12;  // SYN-ACK with MSS 9000: clamped to fiber's 1460
    opts = {0x02, 0x04, 0x23, 0x28};
  }
  if (x == 16) return b.tcp(443, dport, flags, opts, 15).payload(8).build();  // data offset beyond the packet
  if (x == 17) return b.tcp(443, dport, flags, opts, 4).payload(f).build();   // data offset 4 (bad)
  return b.tcp(443, dport, flags, opts).payload(f).build();
}

// Both rigs' sessions of every flow in the same state (TCP state, last seen) or both gone.
void same_sessions(ControlRig& a, ControlRig& b) {
  const NatTimeouts& t = a.rt.slot.current.load()->nat.timeouts;
  for (uint32_t f = 0; f < 48; f++) {
    INFO("flow " << f);
    const NatProto p = f % 2 ? NatProto::tcp : NatProto::udp;
    const uint16_t port = static_cast<uint16_t>(40000 + f);
    const NatSession* x = a.w->nat->find_outbound(0, p, wan_flow_host(f), port, 1000, t);
    const NatSession* y = b.w->nat->find_outbound(0, p, wan_flow_host(f), port, 1000, t);
    REQUIRE((x == nullptr) == (y == nullptr));
    if (x == nullptr) continue;
    CHECK(x->ext_port == y->ext_port);
    CHECK(x->tcp == y->tcp);
    CHECK(x->last_seen_tsc == y->last_seen_tsc);
  }
}

}  // namespace

TEST_CASE("WAN fast lane: replies to NAT sessions leave as the general path sends them, same counters and TCP states",
          "[fast_lane]") {
  ControlRig fast(wan_policy());
  ControlRig general(wan_policy());
  general.w->fast_lane = false;
  const unsigned base_fast = rte_mempool_in_use_count(fast.pool);
  const unsigned base_general = rte_mempool_in_use_count(general.pool);
  for (uint32_t f = 0; f < 48; f++) {
    fast.inject(0, wan_flow_open(f));
    general.inject(0, wan_flow_open(f));
  }
  fast.poll();
  fast.poll();
  general.poll();
  general.poll();
  REQUIRE(fast.sent(1).size() == 48);  // every flow opened its session on fiber
  REQUIRE(general.sent(1).size() == 48);
  std::mt19937 rng(20261130);
  std::uniform_int_distribution<uint32_t> flow(0, 47);
  size_t delivered = 0;
  for (int round = 0; round < 40; round++) {
    // A new snapshot (lte flaps; nothing is on it): the lane reads the hosts' neighbours again.
    if (round == 10 || round == 25) {
      const std::string cmd = round == 10 ? "link down lte" : "link up lte";
      REQUIRE(fast.cp->handle_command(cmd).rfind("link lte: admin", 0) == 0);
      REQUIRE(general.cp->handle_command(cmd).rfind("link lte: admin", 0) == 0);
    }
    INFO("round " << round);
    delivered += same_round(
        fast, general, 1, [&] { return wan_reply(rng, flow(rng)); }, false)[0];
  }
  same_sessions(fast, general);
  same_totals(sum_counters({fast.w}), sum_counters({general.w}));
  CHECK(fast.w->counters.mss_clamped.get() == general.w->counters.mss_clamped.get());
  // Most replies reached their hosts, most of them on the lane; the general rig never used it.
  CHECK(delivered > 600);
  CHECK(fast.w->counters.wan_fast_lane.get() > 400);
  CHECK(fast.w->counters.wan_fast_lane.get() < delivered);  // the guest's (VLAN 20) took the general path
  CHECK(general.w->counters.wan_fast_lane.get() == 0);
  fast.cp->drain_rings();
  general.cp->drain_rings();
  CHECK(rte_mempool_in_use_count(fast.pool) == base_fast);
  CHECK(rte_mempool_in_use_count(general.pool) == base_general);
}

TEST_CASE("WAN fast lane: a port forward's session, its forward gone in a reload, is the general path's",
          "[fast_lane]") {
  // UDP 7000 on fiber forwarded to 192.168.10.10: the first datagram opens the forward's session.
  Policy with = wan_policy();
  with.links[0].forwards.push_back(ForwardSpec{17, PortRange{7000, 7000}, ip4("192.168.10.10"), 7000, {}, {}, {}});
  ControlRig fast(with);
  ControlRig general(with);
  general.w->fast_lane = false;
  const auto datagram = [] {
    PacketBuilder b(PacketBuilder::kDefaultDst, Mac{0x02, 0, 0, 0, 0x01, 0x01});
    return b.ipv4(ip4("203.0.113.9"), ip4("100.64.1.2")).udp(5555, 7000).payload(6).build();
  };
  for (ControlRig* r : {&fast, &general}) {
    r->inject(1, datagram());
    r->poll();
    REQUIRE(r->sent(0).size() == 1);                                                 // forwarded to the host
    REQUIRE(r->cp->adopt_policy(wan_policy()).find("loaded") != std::string::npos);  // the forward goes
  }
  // The session is still in the table, named by port 7000's slot; the lane must not deliver on it.
  for (int k = 0; k < 3; k++) {
    fast.inject(1, datagram());
    general.inject(1, datagram());
  }
  fast.poll();
  general.poll();
  CHECK(fast.sent(0).size() == general.sent(0).size());
  CHECK(general.sent(0).empty());
  CHECK(fast.w->counters.wan_fast_lane.get() == 0);
  same_totals(sum_counters({fast.w}), sum_counters({general.w}));
}
