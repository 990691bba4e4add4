// What a test port transmitted, each frame's segments joined (ICMP errors quoting chains, IPv4 fragments).
#pragma once
#include <cstring>
#include <vector>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "tests/unit/packet_builder.hpp"

namespace wansteer::test {

// Everything in tx ring `r`, every segment of each frame joined; the mbufs are freed.
inline std::vector<Bytes> whole_frames(rte_ring* r) {
  std::vector<Bytes> out;
  void* p;
  while (rte_ring_dequeue(r, &p) == 0) {
    auto* m = static_cast<rte_mbuf*>(p);
    Bytes f(m->pkt_len);
    const void* d = rte_pktmbuf_read(m, 0, m->pkt_len, f.data());
    if (d != f.data()) std::memcpy(f.data(), d, m->pkt_len);
    out.push_back(std::move(f));
    rte_pktmbuf_free(m);
  }
  return out;
}

}  // namespace wansteer::test
