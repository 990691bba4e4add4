// SnapshotPublisher: RCU publication of DataplaneSnapshots (control thread).
#include "control/runtime/snapshot_publisher.hpp"

#include <rte_rcu_qsbr.h>

namespace wansteer {

SnapshotPublisher::~SnapshotPublisher() { delete slot_.current.exchange(nullptr); }

void SnapshotPublisher::publish(std::unique_ptr<DataplaneSnapshot> next) {
  const DataplaneSnapshot* old = slot_.current.exchange(next.release(), std::memory_order_acq_rel);
  if (old == nullptr) return;
  // Wait until every worker has finished the loop iteration that might still read `old`.
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  delete old;
}

}  // namespace wansteer
