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
  // Per staged packet, for counting class x link at transmit: its class (kNoClass for the edge's own packets:
  // ARP, probes, ICMP replies, LAN-bound traffic) and length, read before the driver may free the mbuf.
  uint8_t cls[2 * kBurst];
  uint32_t len[2 * kBurst];

  // Appends `m` (the caller made room). pkt_len is read here, while the mbuf is surely ours.
  void stage(rte_mbuf* m, uint8_t cls_id) {
    const uint32_t l = m->pkt_len;
    pkts[n] = m;
    cls[n] = cls_id;
    len[n++] = l;
    bytes += l;
  }
};

}  // namespace wansteer
