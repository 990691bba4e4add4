// NeighborTable teardown (control thread, after an RCU grace period): frees the rte_hash behind a snapshot's table.
#include "dataplane/snapshot.hpp"

#include <rte_hash.h>

namespace wansteer {

NeighborTable::~NeighborTable() { rte_hash_free(by_ip); }

}  // namespace wansteer
