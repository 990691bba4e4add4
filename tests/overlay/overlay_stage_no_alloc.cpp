// Checks that the overlay's worker stages allocate nothing per packet: after set-up and a warm-up burst, 300 bursts
// of 32 inner packets sealed by overlay_encap_burst and opened by overlay_decap_burst (real mbufs, EAL without
// hugepages) must not allocate once (C++ operator new and OpenSSL's allocator counted), and every packet must come
// back whole with the pool back at its start count. Exit 0 when so (a meson test).
#include <cstdio>
#include <memory>

#include <rte_eal.h>

#include "dataplane/overlay/overlay_decap.hpp"
#include "dataplane/overlay/overlay_encap.hpp"
#include "tests/overlay/alloc_counting.hpp"
#include "tests/unit/packet_builder.hpp"

using namespace wansteer;

namespace {

void mirror_side(OverlayConfig& ov, LinkConfig& link, uint32_t own, uint16_t own_port, uint32_t peer,
                 uint16_t peer_port, const std::shared_ptr<wg::TransportKeys>& k) {
  ov.enabled = true;
  ov.hub_ip = peer;
  ov.hub_port = peer_port;
  ov.local_port = own_port;
  ov.inner_mtu = 1420;
  ov.keys.send = k;
  ov.keys.receive[wg::PeerKeysView::kCurrent] = k;
  link.own_ip = own;
  link.gateway_resolved = true;
  link.mtu = 1500;
}

// One burst through both stages; false when a packet went missing or came back different.
bool round_trip(rte_mempool* pool, const test::Bytes& frame, OverlayCore& a, OverlayCore& b, const OverlayConfig* ov,
                const LinkConfig* link, WorkerCounters& c) {
  rte_mbuf* pkts[kBurst];
  rte_mbuf* wire[kBurst];
  rte_mbuf* spare[kBurst];
  for (auto& p : pkts) {
    p = test::to_mbuf(pool, frame);
    if (p == nullptr) return false;
    rte_pktmbuf_adj(p, 14);
  }
  const OverlayEncapResult e = overlay_encap_burst(a, ov[0], link[0], pkts, kBurst, wire, spare, c, 0);
  const OverlayDecapResult d = overlay_decap_burst(b, ov[1], link[1], wire, e.sealed, pkts, spare, c, 1);
  bool ok = e.sealed == kBurst && d.inner == kBurst;
  for (uint16_t i = 0; i < d.inner; i++) {
    ok = ok && pkts[i]->data_len == frame.size() - 14 &&
         std::memcmp(rte_pktmbuf_mtod(pkts[i], uint8_t*), frame.data() + 14, frame.size() - 14) == 0;
    rte_pktmbuf_free(pkts[i]);
  }
  return ok;
}

}  // namespace

int main() {
  if (!alloc_counting::start_counting_openssl()) {
    std::fprintf(stderr, "overlay_stage_no_alloc: OpenSSL allocated before main; cannot count\n");
    return 1;
  }
  char a0[] = "overlay_stage_no_alloc", a1[] = "--no-huge", a2[] = "--no-pci", a3[] = "--no-shconf", a4[] = "-m",
       a5[] = "128", a6[] = "--log-level=error", a7[] = "-l", a8[] = "0", a9[] = "--no-telemetry";
  char* eal_argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, nullptr};
  if (rte_eal_init(10, eal_argv) < 0) {
    std::fprintf(stderr, "overlay_stage_no_alloc: EAL init failed\n");
    return 2;
  }
  rte_mempool* pool = test::make_test_pool("ovnoalloc_pool", 255);
  auto ka = std::make_shared<wg::TransportKeys>(), kb = std::make_shared<wg::TransportKeys>();
  for (size_t i = 0; i < wg::kKeySize; i++) ka->send_key[i] = kb->recv_key[i] = static_cast<uint8_t>(i + 3);
  ka->remote_index = kb->local_index = 9;
  ka->serial = 1, kb->serial = 2;
  OverlayConfig ov[2];
  LinkConfig link[2];
  mirror_side(ov[0], link[0], 0xcb007102, 51821, 0xc6336407, 51820, ka);
  mirror_side(ov[1], link[1], 0xc6336407, 51820, 0xcb007102, 51821, kb);
  auto a = std::make_unique<OverlayCore>(0), b = std::make_unique<OverlayCore>(1);
  auto counters = std::make_unique<WorkerCounters>();
  const test::Bytes frame =
      test::PacketBuilder().ipv4(test::ip4("10.0.0.5"), test::ip4("93.184.216.34")).udp(5000, 53).payload(1372).build();
  const unsigned start = pool ? rte_mempool_in_use_count(pool) : 0;
  bool ok = pool != nullptr && a->valid() && b->valid() && round_trip(pool, frame, *a, *b, ov, link, *counters);
  const long setup = alloc_counting::allocations();
  for (int i = 0; i < 300 && ok; i++) ok = round_trip(pool, frame, *a, *b, ov, link, *counters);
  const long during = alloc_counting::allocations() - setup;
  ok = ok && rte_mempool_in_use_count(pool) == start;
  std::printf(
      "overlay_stage_no_alloc: set-up allocations %ld (counted, so the hooks work), allocations over 300 bursts of "
      "32 sealed and opened: %ld, all packets %s, pool %s\n",
      setup, during, ok ? "ok" : "NOT ok", rte_mempool_in_use_count(pool) == start ? "back" : "NOT back");
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return ok && setup > 0 && during == 0 ? 0 : 1;
}
