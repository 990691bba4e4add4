// Snapshot helpers that need DPDK: freeing a NeighborTable's rte_hash (called on control after a grace period).
#include "dataplane/snapshot.hpp"

#include <rte_hash.h>

namespace wansteer {

NeighborTable::~NeighborTable() { rte_hash_free(by_ip); }

}  // namespace wansteer
