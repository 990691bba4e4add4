// TxQueue: a worker's transmit staging for one port, flushed once per poll iteration (dataplane/worker.cpp).
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/limits.hpp"

namespace wansteer {

struct TxQueue {
  uint16_t n = 0;
  uint64_t bytes = 0;  // of the staged packets (counted on enqueue: a driver may free what it sent)
  rte_mbuf* pkts[2 * kBurst];
  // Per staged packet, its class, for counting class x link at transmit (kNoClass for the edge's own packets:
  // ARP, probes, ICMP replies, LAN-bound traffic), read before the driver may free the mbuf.
  uint8_t cls[2 * kBurst];
  // The staged packets per class, tallied as they are staged: tx_flush adds each class's tally once per flush,
  // not once per packet, after taking off the packets the driver refused.
  uint32_t classes = 0;  // bit c: class c has staged packets
  uint32_t class_packets[kMaxClasses] = {};
  uint64_t class_bytes[kMaxClasses] = {};
  static_assert(kMaxClasses <= 32, "one bit per class in classes");

  // Appends `m` (the caller made room). pkt_len is read here, while the mbuf is surely ours.
  void stage(rte_mbuf* m, uint8_t cls_id) {
    const uint32_t l = m->pkt_len;
    pkts[n] = m;
    cls[n++] = cls_id;
    bytes += l;
    if (cls_id < kMaxClasses) {
      class_packets[cls_id]++;
      class_bytes[cls_id] += l;
      classes |= uint32_t{1} << cls_id;
    }
  }
};

}  // namespace wansteer
