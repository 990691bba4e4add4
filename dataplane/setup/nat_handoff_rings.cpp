// Inboxes of the NAT return-traffic hand-off (control thread, before launch): one multi-producer/single-consumer
// ring per worker, through which other workers pass it the WAN replies of the sessions it owns.
#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_ring.h>

#include "dataplane/nat_handoff.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {
namespace {

constexpr uint32_t kInboxSize = 1024;  // per worker: a burst from every other worker many times over

}  // namespace

bool nat_handoff_rings_create(std::vector<WorkerContext*>& workers, int socket, std::vector<rte_ring*>& rings,
                              std::string* error) {
  if (workers.size() <= 1) return true;
  for (WorkerContext* owner : workers) {
    const std::string name = fmt::format("ws_nat_inbox{}", owner->worker_id);
    rte_ring* r = rte_ring_create(name.c_str(), kInboxSize, socket, RING_F_SC_DEQ);
    if (r == nullptr) {
      *error = fmt::format("cannot create NAT hand-off ring {}: {}", name, rte_strerror(rte_errno));
      return false;
    }
    rings.push_back(r);
    for (WorkerContext* w : workers) w->nat_handoff.inbox[owner->worker_id] = r;
  }
  for (WorkerContext* w : workers) w->nat_handoff.n_workers = static_cast<uint16_t>(workers.size());
  return true;
}

}  // namespace wansteer
