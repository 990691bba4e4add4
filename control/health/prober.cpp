// Prober implementation: frames are built on the control thread from the packet pool and sent through worker 0's
// hand-off ring, so they leave on the link's own port; replies come back with the worker's receive TSC.
#include "control/health/prober.hpp"

#include <chrono>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "control/health/stamp_auth.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/probe_ids.hpp"
#include "dataplane/rx_timestamp.hpp"

namespace wansteer {

namespace {

constexpr uint32_t kIcmpMagic = 0x77737072;  // "wspr": our echo payload starts with it

struct IcmpPayload {
  uint32_t magic;
  uint32_t seq;
  uint64_t tsc;
};

// Counts a frame that answers none of our probes; 0 is on_reply's "not ours".
uint64_t unmatched(Prober::Stats& s) {
  s.unmatched++;
  return 0;
}

uint64_t unix_ns_now() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

HealthConfig health_config(const ProbeSpec& p) {
  HealthConfig c;
  c.interval_ms = p.interval_ms;
  c.detect_multiplier = p.detect_multiplier;
  c.loss_window = p.loss_window;
  c.reply_timeout_ms = p.reply_timeout_ms;
  c.hold_down_ms = p.hold_down_ms;
  c.min_samples = p.min_samples;
  return c;
}

Prober::Prober(const Policy& policy, rte_mempool* pool, const rte_ether_addr* link_macs, uint64_t tsc_hz, SendFn send)
    : pool_(pool), link_macs_(link_macs), tsc_hz_(tsc_hz), send_(std::move(send)) {
  for (size_t l = 0; l < policy.links.size() && l < kMaxLinks; l++) {
    const LinkSpec& ls = policy.links[l];
    Link& L = links_[l];
    L.enabled = ls.probe.enabled;
    L.own_ip = ls.address.addr;
    L.metered = ls.metered;
    L.spec = ls.probe;
    L.interval_ms = ls.probe.interval_ms;
    L.send_ms = ls.probe.interval_ms;
    std::vector<ProbeTarget> targets = ls.probe.targets;
    if (targets.empty()) targets.push_back(ProbeTarget{ls.gateway, ProbeKind::icmp, 862});
    for (size_t t = 0; t < targets.size() && t < kMaxProbeTargets; t++) {
      Target T;
      T.spec = targets[t];
      T.pending = std::make_unique<Pending[]>(kPendingSlots);
      L.targets.push_back(std::move(T));
    }
    L.liveness = std::make_unique<LinkLiveness>(health_config(ls.probe), L.targets.size());
  }
}

void Prober::readdress(size_t link, uint32_t own_ip, uint32_t old_gateway, uint32_t gateway) {
  Link& L = links_[link];
  L.own_ip = own_ip;
  for (Target& T : L.targets)
    if (T.spec.address == old_gateway) T.spec.address = gateway;
}

// Ethernet + IPv4 header of a probe from link `link`'s address to target `target`; returns the IP header.
rte_ipv4_hdr* Prober::frame_header(rte_mbuf* m, size_t link, size_t target, const rte_ether_addr& gw_mac, uint8_t proto,
                                   uint16_t ip_len) {
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, sizeof(rte_ether_hdr) + ip_len));
  auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
  rte_ether_addr_copy(&gw_mac, &eth->dst_addr);
  rte_ether_addr_copy(&link_macs_[link], &eth->src_addr);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(eth + 1);
  std::memset(ip, 0, sizeof *ip);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->total_length = rte_cpu_to_be_16(ip_len);
  ip->packet_id = rte_cpu_to_be_16(ip_id_++);
  ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  ip->time_to_live = 64;
  ip->next_proto_id = proto;
  ip->src_addr = rte_cpu_to_be_32(links_[link].own_ip);
  ip->dst_addr = rte_cpu_to_be_32(links_[link].targets[target].spec.address);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  return ip;
}

rte_mbuf* Prober::build_icmp(size_t link, size_t target, uint32_t seq, const rte_ether_addr& gw_mac, uint64_t tsc) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return nullptr;
  const uint16_t ip_len = sizeof(rte_ipv4_hdr) + sizeof(rte_icmp_hdr) + sizeof(IcmpPayload);
  rte_ipv4_hdr* ip = frame_header(m, link, target, gw_mac, IPPROTO_ICMP, ip_len);
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
  icmp->icmp_code = 0;
  icmp->icmp_ident = rte_cpu_to_be_16(probe_icmp_id(link, target));
  icmp->icmp_seq_nb = rte_cpu_to_be_16(static_cast<uint16_t>(seq));
  IcmpPayload pl{rte_cpu_to_be_32(kIcmpMagic), rte_cpu_to_be_32(seq), tsc};
  std::memcpy(icmp + 1, &pl, sizeof pl);
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, sizeof(rte_icmp_hdr) + sizeof pl));
  return m;
}

rte_mbuf* Prober::build_stamp(size_t link, size_t target, uint32_t seq, const rte_ether_addr& gw_mac, uint64_t) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return nullptr;
  const bool auth = !links_[link].spec.stamp_auth_key.empty();
  const uint16_t udp_len = sizeof(rte_udp_hdr) + (auth ? stamp::kAuthPacketSize : stamp::kPacketSize);
  rte_ipv4_hdr* ip = frame_header(m, link, target, gw_mac, IPPROTO_UDP, sizeof(rte_ipv4_hdr) + udp_len);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(ip + 1);
  udp->src_port = rte_cpu_to_be_16(probe_port(link, target));
  udp->dst_port = rte_cpu_to_be_16(links_[link].targets[target].spec.port);
  udp->dgram_len = rte_cpu_to_be_16(udp_len);
  stamp::SenderPacket sp;
  sp.seq = seq;
  sp.timestamp = stamp::ntp_from_unix_ns(unix_ns_now());
  sp.error_estimate = stamp::default_error_estimate();
  if (auth)
    stamp::encode_sender_auth(sp, links_[link].spec.stamp_auth_key, reinterpret_cast<uint8_t*>(udp + 1));
  else
    stamp::encode_sender(sp, reinterpret_cast<uint8_t*>(udp + 1));
  udp->dgram_cksum = 0;
  udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
  return m;
}

bool Prober::read_stamp_reply(Link& L, const uint8_t* payload, size_t len, stamp::ReflectorPacket* rp) {
  if (L.spec.stamp_auth_key.empty()) {
    if (stamp::decode_reflector(payload, len, rp)) return true;
    unmatched(L.stats);
    return false;
  }
  // A reply that does not verify is no reply at all: whoever forged it cannot make a dead link look alive.
  if (stamp::decode_reflector_auth(payload, len, L.spec.stamp_auth_key, rp) == stamp::AuthCheck::ok) return true;
  L.stats.stamp_auth_failed++;
  return false;
}

// A live unmetered link carrying user traffic is watched closely: its probes are the loss test's samples, and the
// first loss (which starts the boost) comes after 1/loss probes on average, whatever the statistic. At 5 % loss and
// two targets every 20 ms that wait alone had a p95 of 600 ms; every 5 ms it is 150 ms. An idle link has nothing
// to protect and keeps the liveness interval, a down one is liveness's business (its recovery is timed by replies
// at that interval), and a metered one never pays for either.
uint32_t Prober::send_ms_for(const Link& L, uint32_t interval, bool carrying_traffic) {
  if (L.metered || !L.liveness->alive()) return interval;
  uint32_t ms = interval;
  if (carrying_traffic && L.spec.traffic_interval_ms != 0) ms = std::min(ms, L.spec.traffic_interval_ms);
  if (L.boost && L.spec.boost_interval_ms != 0) ms = std::min(ms, L.spec.boost_interval_ms);
  return ms;
}

void Prober::tick(uint64_t now_tsc, const std::array<LinkTx, kMaxLinks>& tx) {
  const uint64_t now_ns = ns_of(now_tsc);
  for (size_t l = 0; l < kMaxLinks; l++) {
    Link& L = links_[l];
    if (!L.enabled || !L.liveness) continue;
    // A metered link carrying nothing probes at its idle interval; traffic on it switches to the full rate.
    // A link that is down is probed at the full rate too, so its recovery is seen (and the hold-down can run)
    // in seconds rather than after several idle intervals.
    uint32_t interval = (L.metered && !tx[l].carrying_traffic && L.liveness->alive())
                            ? L.spec.effective_idle_interval_ms(true)
                            : L.spec.interval_ms;
    if (interval != L.interval_ms) {
      L.interval_ms = interval;
      L.liveness->set_interval(interval, now_ns);
      for (auto& T : L.targets)  // speeding up takes effect now, slowing down after the current wait
        if (T.next_due_tsc > now_tsc) T.next_due_tsc = std::min(T.next_due_tsc, now_tsc);
    }
    const uint32_t send_ms = send_ms_for(L, interval, tx[l].carrying_traffic);
    if (send_ms < L.send_ms)  // a speed-up takes effect now
      for (auto& T : L.targets) T.next_due_tsc = std::min(T.next_due_tsc, now_tsc);
    L.send_ms = send_ms;
    const uint64_t interval_tsc = tsc_hz_ / 1000 * send_ms;
    for (size_t t = 0; t < L.targets.size(); t++) {
      Target& T = L.targets[t];
      L.liveness->target(t).tick(now_ns);
      if (!tx[l].can_send) continue;
      if (T.next_due_tsc == 0)  // stagger targets over the interval so they are not all lost to one burst
        T.next_due_tsc = now_tsc + interval_tsc * t / L.targets.size();
      // Boosted (or traffic-rate) probing runs about as fast as a busy host ticks: a late tick catches up with a
      // few probes at once, so the loss test gets its samples on time. Probing at the liveness interval never
      // catches up (a stall's probes are void).
      const bool catch_up = L.send_ms < L.interval_ms;
      for (uint32_t n = 0; n < (catch_up ? kMaxProbesPerTick : 1) && now_tsc >= T.next_due_tsc; n++) {
        T.next_due_tsc = catch_up ? std::max(T.next_due_tsc + interval_tsc, now_tsc - kMaxProbesPerTick * interval_tsc)
                                  : std::max(T.next_due_tsc + interval_tsc, now_tsc + interval_tsc / 2);
        if (!send_probe(l, t, tx[l].gateway_mac, now_tsc, now_ns)) break;
      }
    }
  }
}

bool Prober::send_probe(size_t l, size_t t, const rte_ether_addr& gw_mac, uint64_t now_tsc, uint64_t now_ns) {
  Link& L = links_[l];
  Target& T = L.targets[t];
  const uint32_t seq = T.next_seq++;
  rte_mbuf* m = T.spec.kind == ProbeKind::stamp ? build_stamp(l, t, seq, gw_mac, now_tsc)
                                                : build_icmp(l, t, seq, gw_mac, now_tsc);
  if (m == nullptr) {
    L.stats.alloc_failures++;
    return false;
  }
  T.pending[seq % kPendingSlots] = Pending{seq, now_tsc};
  L.stats.sent++;
  L.stats.tx_bytes += m->pkt_len;
  L.liveness->target(t).on_sent(seq, now_ns);
  send_(m, static_cast<uint8_t>(l + 1));
  return true;
}

uint64_t Prober::on_reply(rte_mbuf* m, uint8_t link) {
  if (link >= kMaxLinks || !links_[link].enabled) return 0;
  Link& L = links_[link];
  const PacketMeta* meta = meta_of(m);
  uint64_t rx = rx_tsc(m);
  if (rx == 0) rx = rte_rdtsc();
  if (meta->l4_offset == 0) return unmatched(L.stats);
  const uint8_t* l4 = rte_pktmbuf_mtod_offset(m, const uint8_t*, meta->l4_offset);
  const uint32_t l4_len = static_cast<uint32_t>(meta->l3_len) - (meta->l4_offset - meta->l3_offset);
  uint32_t target = 0, seq = 0;
  std::optional<uint32_t> reflector_seq;
  if (meta->proto == IPPROTO_ICMP) {
    if (l4_len < sizeof(rte_icmp_hdr) + sizeof(IcmpPayload)) return unmatched(L.stats);
    auto* icmp = reinterpret_cast<const rte_icmp_hdr*>(l4);
    uint16_t id = rte_be_to_cpu_16(icmp->icmp_ident);
    IcmpPayload pl;
    std::memcpy(&pl, icmp + 1, sizeof pl);
    const std::optional<ProbeSlot> slot = probe_slot_of_icmp_id(id);
    if (rte_be_to_cpu_32(pl.magic) != kIcmpMagic || !slot || slot->link != link || slot->target >= L.targets.size())
      return unmatched(L.stats);
    target = slot->target;
    seq = rte_be_to_cpu_32(pl.seq);
  } else if (meta->proto == IPPROTO_UDP) {
    const std::optional<ProbeSlot> slot = probe_slot_of_port(meta->dport);
    if (!slot || slot->link != link || slot->target >= L.targets.size() ||
        l4_len < sizeof(rte_udp_hdr) + stamp::kPacketSize)
      return unmatched(L.stats);
    target = slot->target;
    stamp::ReflectorPacket rp;
    if (!read_stamp_reply(L, l4 + sizeof(rte_udp_hdr), l4_len - sizeof(rte_udp_hdr), &rp)) return 0;
    seq = rp.sender_seq;
    reflector_seq = rp.seq;
  } else {
    return unmatched(L.stats);
  }
  Target& T = L.targets[target];
  Pending& p = T.pending[seq % kPendingSlots];
  if (p.tsc == 0 || p.seq != seq || rx < p.tsc) return unmatched(L.stats);  // unknown, duplicate or stale
  const uint64_t rtt_ns = ns_of(rx - p.tsc);
  p.tsc = 0;
  L.stats.replies++;
  L.stats.rx_bytes += m->pkt_len;
  L.liveness->target(target).on_reply(seq, ns_of(rx), rtt_ns, reflector_seq);
  return rx;
}

}  // namespace wansteer
