// bench/overlay's per-core figures: how fast one worker core seals (overlay_encap_burst: ChaCha20-Poly1305 and the
// outer Ethernet/IPv4/UDP headers) and opens (overlay_decap_burst: checks, decryption, strip) WireGuard transport
// messages, in bursts of 32 real mbufs, at given inner packet sizes. Run by bench/overlay; prints one line per size.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dataplane/limits.hpp"
#include "dataplane/overlay/overlay_decap.hpp"
#include "dataplane/overlay/overlay_encap.hpp"
#include "dataplane/packet_meta.hpp"

using namespace wansteer;

namespace {

// One end of the tunnel: the edge seals towards the hub, the hub side (the same stages, mirrored) opens.
struct BenchSide {
  OverlayConfig ov;
  LinkConfig link;
  std::unique_ptr<OverlayCore> core;
};

// The two ends of one tunnel: side 0 (the edge, 100.64.1.2:51821) seals with keys[0], side 1 (the hub,
// 203.0.113.50:51820) opens with keys[1], the same session's other half.
void bench_tunnel(BenchSide* sides, const std::shared_ptr<wg::TransportKeys>* keys) {
  const uint32_t ips[2] = {0x64400102, 0xcb007132};
  const uint16_t ports[2] = {51821, 51820};
  for (int i = 0; i < 2; i++) {
    BenchSide& s = sides[i];
    s.link.mtu = 1500;
    s.link.own_ip = ips[i];
    s.link.own_mac.addr_bytes[5] = static_cast<uint8_t>(i + 1);
    s.link.gateway_mac.addr_bytes[5] = 0xfe;
    s.link.gateway_resolved = true;
    wg::PeerKeysView view;
    view.send = keys[i];
    view.receive[wg::PeerKeysView::kCurrent] = keys[i];
    s.ov = {.enabled = true,
            .hub_ip = ips[1 - i],
            .hub_port = ports[1 - i],
            .local_port = ports[i],
            .inner_mtu = 1420,
            .keys = view};
    s.core = std::make_unique<OverlayCore>(static_cast<uint16_t>(i));
  }
}

// An inner IPv4/UDP packet of `size` bytes (10.0.0.5 -> 93.184.216.34, payload bytes vary with the index).
std::vector<uint8_t> bench_inner_packet(uint16_t size) {
  std::vector<uint8_t> p(size);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p.data());
  ip->version_ihl = 0x45;
  ip->total_length = rte_cpu_to_be_16(size);
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = rte_cpu_to_be_32(0x0a000005);
  ip->dst_addr = rte_cpu_to_be_32(0x5db8d822);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* udp = reinterpret_cast<rte_udp_hdr*>(p.data() + sizeof(rte_ipv4_hdr));
  udp->src_port = rte_cpu_to_be_16(5000);
  udp->dst_port = rte_cpu_to_be_16(16400);
  udp->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(size - sizeof(rte_ipv4_hdr)));
  for (size_t i = sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr); i < p.size(); i++) p[i] = static_cast<uint8_t>(i * 7);
  return p;
}

// Puts the inner packet back into m as a fresh one (data at the default headroom): what the LAN stage hands over.
void bench_reset(rte_mbuf* m, const std::vector<uint8_t>& pkt) {
  rte_pktmbuf_reset(m);
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), pkt.data(), pkt.size());
  m->data_len = static_cast<uint16_t>(pkt.size());
  m->pkt_len = static_cast<uint32_t>(pkt.size());
}

struct StageRates {
  uint64_t packets = 0;      // sealed and opened (each)
  uint64_t seal_cycles = 0;  // in overlay_encap_burst only
  uint64_t open_cycles = 0;  // in overlay_decap_burst only
  uint64_t failures = 0;     // not sealed, not opened, or opened to different bytes
};

// Seals a burst on the edge and opens it on the hub, timing each stage apart; checks each packet came back whole
// and resets the mbufs for the next burst (a lost one is allocated again, so allocation is not what is measured).
void bench_round(BenchSide& edge, BenchSide& hub, WorkerCounters& c, rte_mempool* pool, rte_mbuf** pkts,
                 const std::vector<uint8_t>& pkt, StageRates& r) {
  rte_mbuf* wire[kBurst];
  rte_mbuf* spare[kBurst];
  rte_mbuf* inner[kBurst];
  const uint64_t t0 = rte_rdtsc();
  const OverlayEncapResult e = overlay_encap_burst(*edge.core, edge.ov, edge.link, pkts, kBurst, wire, spare, c, 0);
  const uint64_t t1 = rte_rdtsc();
  const OverlayDecapResult d = overlay_decap_burst(*hub.core, hub.ov, hub.link, wire, e.sealed, inner, spare, c, 1);
  const uint64_t t2 = rte_rdtsc();
  r.seal_cycles += t1 - t0;
  r.open_cycles += t2 - t1;
  for (uint16_t i = 0; i < e.too_big; i++) rte_pktmbuf_free(spare[i]);
  r.packets += kBurst;
  r.failures += kBurst - d.inner;
  for (uint16_t i = 0; i < d.inner; i++) {
    const bool same = inner[i]->data_len == pkt.size() &&
                      std::memcmp(rte_pktmbuf_mtod(inner[i], uint8_t*), pkt.data(), pkt.size()) == 0;
    r.failures += same ? 0 : 1;
    pkts[i] = inner[i];
  }
  for (uint16_t i = d.inner; i < kBurst; i++) {
    pkts[i] = rte_pktmbuf_alloc(pool);  // the stages freed the lost ones
    if (pkts[i] == nullptr) std::abort();
  }
  for (uint16_t i = 0; i < kBurst; i++) bench_reset(pkts[i], pkt);
}

// Rates at one inner size: a warm-up, then rounds until both stages have run `seconds` each.
StageRates bench_size(BenchSide& edge, BenchSide& hub, WorkerCounters& c, rte_mempool* pool, uint16_t size,
                      double seconds, double warmup) {
  const std::vector<uint8_t> pkt = bench_inner_packet(size);
  rte_mbuf* pkts[kBurst];
  if (rte_pktmbuf_alloc_bulk(pool, pkts, kBurst) != 0) std::abort();
  for (auto* m : pkts) bench_reset(m, pkt);
  const uint64_t hz = rte_get_tsc_hz();
  StageRates warm;
  const uint64_t warm_end = rte_rdtsc() + static_cast<uint64_t>(warmup * static_cast<double>(hz));
  while (rte_rdtsc() < warm_end) bench_round(edge, hub, c, pool, pkts, pkt, warm);
  StageRates r;
  r.failures = warm.failures;
  const auto want = static_cast<uint64_t>(seconds * static_cast<double>(hz));
  while (r.seal_cycles < want || r.open_cycles < want) bench_round(edge, hub, c, pool, pkts, pkt, r);
  rte_pktmbuf_free_bulk(pkts, kBurst);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0, warmup = 0.5;
  std::vector<uint16_t> sizes;
  std::vector<char*> eal_args{argv[0]};
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--warmup" && i + 1 < argc) {
      warmup = std::atof(argv[++i]);
    } else if (a == "--size" && i + 1 < argc) {
      const int s = std::atoi(argv[++i]);
      if (s < 28 || s > 1420) {
        std::fprintf(stderr, "overlay_stage_bench: --size %d: inner packets are 28..1420 bytes\n", s);
        return 2;
      }
      sizes.push_back(static_cast<uint16_t>(s));
    } else {
      eal_args.push_back(argv[i]);  // EAL options (e.g. --no-huge --no-pci --in-memory -l 2)
    }
  }
  if (sizes.empty()) sizes = {64, 1400};
  if (rte_eal_init(static_cast<int>(eal_args.size()), eal_args.data()) < 0) {
    std::fprintf(stderr, "overlay_stage_bench: EAL init failed\n");
    return 1;
  }
  rte_mempool* pool = rte_pktmbuf_pool_create("ovbench_pool", 1023, 0, kMbufPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              static_cast<int>(rte_socket_id()));
  auto ka = std::make_shared<wg::TransportKeys>(), kb = std::make_shared<wg::TransportKeys>();
  for (size_t i = 0; i < wg::kKeySize; i++) ka->send_key[i] = kb->recv_key[i] = static_cast<uint8_t>(i * 13 + 5);
  ka->remote_index = kb->local_index = 0x2a2a2a2a;
  ka->serial = 1, kb->serial = 2;
  BenchSide sides[2];
  const std::shared_ptr<wg::TransportKeys> keys[2] = {ka, kb};
  bench_tunnel(sides, keys);
  BenchSide& edge = sides[0];
  BenchSide& hub = sides[1];
  auto counters = std::make_unique<WorkerCounters>();
  if (pool == nullptr || !edge.core->valid() || !hub.core->valid()) {
    std::fprintf(stderr, "overlay_stage_bench: no mempool or no libcrypto AEAD\n");
    return 1;
  }
  const double hz = static_cast<double>(rte_get_tsc_hz());
  std::printf("overlay_stage_bench: lcore %u, TSC %.2f GHz, bursts of %u, %.1f s per stage after %.1f s warm-up\n",
              rte_lcore_id(), hz / 1e9, kBurst, seconds, warmup);
  uint64_t failures = 0;
  for (uint16_t size : sizes) {
    const StageRates r = bench_size(edge, hub, *counters, pool, size, seconds, warmup);
    failures += r.failures;
    const double n = static_cast<double>(r.packets);
    const double seal_pps = n * hz / static_cast<double>(r.seal_cycles);
    const double open_pps = n * hz / static_cast<double>(r.open_cycles);
    std::printf(
        "size=%u seal_mpps=%.3f seal_gbps=%.3f seal_cycles=%.0f open_mpps=%.3f open_gbps=%.3f open_cycles=%.0f "
        "packets=%llu failures=%llu\n",
        size, seal_pps / 1e6, seal_pps * size * 8 / 1e9, static_cast<double>(r.seal_cycles) / n, open_pps / 1e6,
        open_pps * size * 8 / 1e9, static_cast<double>(r.open_cycles) / n, static_cast<unsigned long long>(r.packets),
        static_cast<unsigned long long>(r.failures));
  }
  std::printf("overlay_stage_bench failures=%llu pool_in_use=%u\n", static_cast<unsigned long long>(failures),
              rte_mempool_in_use_count(pool));
  sides[0] = {};
  sides[1] = {};
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return failures == 0 ? 0 : 3;
}
