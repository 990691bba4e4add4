// TxQueue: a worker's transmit staging for one port, flushed once per poll iteration (dataplane/worker.cpp).
#pragma once
#include <cstdint>

#include "dataplane/limits.hpp"

struct rte_mbuf;

namespace wansteer {

struct TxQueue {
  uint16_t n = 0;
  uint64_t bytes = 0;  // of the staged packets (counted on enqueue: a driver may free what it sent)
  rte_mbuf* pkts[2 * kBurst];
};

}  // namespace wansteer
