// A shaped link's token bucket as egress uses it per packet: the refill, and the cut-through test that lets a
// packet skip its class queue when the bucket cannot run dry within a worker loop. Inline: egress_submit's usual
// case (egress.hpp) runs it for every packet on a multi-gigabit shaped link.
#pragma once
#include <cstdint>

#include "dataplane/egress_plan.hpp"
#include "dataplane/egress_state.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/nat_handoff.hpp"

namespace wansteer {

inline constexpr uint32_t kHandoffBurstsPerLoop = 4;  // how much a link's owner takes from its hand-off ring per loop

// The most one worker loop can bring to one link's egress, in bytes: the LAN port's rx burst, the LAN frames other
// workers hand over through the NAT inbox, and the link's hand-off ring, each packet at most a jumbo frame plus
// what fragmenting it or an overlay header adds (far less than 1 KB). About 2.9 MB.
inline constexpr uint64_t kEgressLoopMaxBytes =
    uint64_t{1 + kInboxBurstsPerLoop + kHandoffBurstsPerLoop} * kBurst * (kMaxFrameBytes + 1024);

// Adds the tokens earned since the last call, up to the bucket's capacity `cap`; a bucket in debt (negative)
// first pays the debt back.
inline void shaper_refill(LinkEgress& e, const ShaperConfig& sc, int64_t cap, uint64_t now) {
  if (now <= e.last_tsc) return;
  const uint64_t elapsed = now - e.last_tsc;
  e.last_tsc = now;
  if (sc.rate == 0) return;
  // Full once the gap covers what is missing; only a shorter gap is multiplied, so elapsed x rate stays below
  // cap plus one frame of debt (no 64-bit overflow: a second at 100 Gbit/s is 1.25e10 B/s x 2.6e9 ticks).
  const uint64_t missing = static_cast<uint64_t>(cap - e.tokens);
  if (elapsed > missing / sc.rate)
    e.tokens = cap;
  else
    e.tokens += static_cast<int64_t>(elapsed * sc.rate);
}

// Cut-through: whether a packet of `len` bytes may go to the NIC now, its tokens taken, rather than through its
// class queue. Only when nothing of the link waits and the bucket keeps, after this packet, more than the rest of
// this loop can bring (kEgressLoopMaxBytes): then every packet of this loop leaves in it, exactly the set the queues
// would release at the loop's end, only in arrival order rather than class order within that one tx burst. Below
// about 5 Gbit/s (a bucket of 5 ms of rate, egress_plan.cpp) that never holds and every packet queues as before.
inline bool shaper_cut_through(LinkEgress& e, const ShaperConfig& sc, uint64_t hz, uint32_t len, uint64_t now) {
  if (e.queued != 0 || e.shaper_generation != sc.generation) return false;  // a new bucket is set up by service
  shaper_refill(e, sc, static_cast<int64_t>(sc.burst * hz), now);
  const auto cost = static_cast<int64_t>(uint64_t{len} * hz);
  if (e.tokens < cost + static_cast<int64_t>(kEgressLoopMaxBytes * hz)) return false;
  e.tokens -= cost;
  return true;
}

}  // namespace wansteer
