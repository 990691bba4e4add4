// SnapshotPublisher: swaps the snapshot workers read (one atomic pointer, release order) and frees the old one
// after an RCU QSBR grace period, when no worker can still be reading it.
#pragma once
#include <memory>

#include "dataplane/snapshot.hpp"

struct rte_rcu_qsbr;

namespace wansteer {

class SnapshotPublisher {
 public:
  SnapshotPublisher(SnapshotSlot& slot, rte_rcu_qsbr* qsbr) : slot_(slot), qsbr_(qsbr) {}
  ~SnapshotPublisher();  // frees the last snapshot (workers have stopped by then)
  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

  // Blocks for the grace period (a few microseconds: workers report quiescence every loop).
  void publish(std::unique_ptr<DataplaneSnapshot> next);
  const DataplaneSnapshot* current() const { return slot_.current.load(std::memory_order_acquire); }

 private:
  SnapshotSlot& slot_;
  rte_rcu_qsbr* qsbr_;
};

}  // namespace wansteer
