// Hand-off rings of the owner-core egress model (control thread, before launch and after stop): one
// multi-producer/single-consumer ring per WAN link, through which workers pass packets to the link's owner.
#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_ring.h>

#include "dataplane/egress.hpp"

namespace wansteer {
namespace {

constexpr uint32_t kHandoffRingSize = 1024;  // per link: ~8 ms of a 1 Gbit/s link in 1500-byte frames

}  // namespace

bool egress_rings_create(std::vector<WorkerContext*>& workers, uint32_t n_links, int socket,
                         std::vector<rte_ring*>& rings, std::string* error) {
  if (workers.size() <= 1) return true;
  for (uint32_t l = 0; l < n_links; l++) {
    std::string name = fmt::format("ws_handoff{}", l);
    rte_ring* r = rte_ring_create(name.c_str(), kHandoffRingSize, socket, RING_F_SC_DEQ);
    if (r == nullptr) {
      *error = fmt::format("cannot create hand-off ring {}: {}", name, rte_strerror(rte_errno));
      return false;
    }
    rings.push_back(r);
    for (WorkerContext* w : workers) w->egress.handoff[l] = r;
  }
  for (WorkerContext* w : workers) w->egress.n_workers = static_cast<uint16_t>(workers.size());
  return true;
}

void egress_rings_free(std::vector<rte_ring*>& rings) {
  for (rte_ring* r : rings) {
    void* p;
    while (rte_ring_dequeue(r, &p) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(p));
    rte_ring_free(r);
  }
  rings.clear();
}

}  // namespace wansteer
