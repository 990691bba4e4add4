// Per (class, link) rate limit: an rte_meter trTCM run by the link's owner worker, plus the DSCP re-mark.
// Only the owner core touches a ClassMeter, so the bucket has exactly one writer and needs no atomics.
#pragma once
#include <cstdint>

#include <rte_mbuf.h>
#include <rte_meter.h>

#include "dataplane/egress_plan.hpp"
#include "dataplane/packet_meta.hpp"

namespace wansteer {

// Run-time state of one meter. The profile is rebuilt from the snapshot's MeterProfile when its generation
// changes (new policy, link became backup or primary went down), on the next packet of that (class, link).
struct ClassMeter {
  uint32_t generation = 0;  // of the MeterProfile configured below; 0 = never configured
  MeterMode mode = MeterMode::unlimited;
  rte_meter_trtcm_profile profile{};
  rte_meter_trtcm state{};
};

enum class MeterVerdict : uint8_t {
  conform = 0,   // within the committed rate (or unlimited): send as is
  remarked = 1,  // over the committed rate, exceed: remark: DSCP rewritten, send
  exceed = 2,    // over the limit: drop (counted as meter_exceed)
  blocked = 3,   // the class is blocked on this link: drop (counted as class_blocked)
  budget = 4,    // the link's data budget is spent and the class is blocked: drop (counted as budget_exhausted)
};

// (Re)configures `m` from `p`, buckets full, clock starting at now_tsc. Exposed for tests.
void meter_configure(ClassMeter& m, const MeterProfile& p, uint64_t now_tsc);

// meter_packet's out-of-line part: reconfiguration, then the limit, block and budget modes.
MeterVerdict meter_packet_slow(ClassMeter& m, const MeterProfile& p, rte_mbuf* pkt, uint64_t now_tsc);

// Meters one packet at now_tsc (reconfiguring first if the profile changed); when the verdict is remarked the
// packet's DSCP has already been rewritten. Inline for the usual case, a current unlimited meter (every class
// without a limit on the link): two compares instead of a call and its set-up, office.yaml's run D 914 -> 887
// instructions a packet (bench/instructions).
// meter_unlimited_now: whether `m` is current and unlimited, so any packet conforms (egress_submit tests it first).
inline bool meter_unlimited_now(const ClassMeter& m, const MeterProfile& p) {
  return m.generation == p.generation && m.mode == MeterMode::unlimited;
}
inline MeterVerdict meter_packet(ClassMeter& m, const MeterProfile& p, rte_mbuf* pkt, uint64_t now_tsc) {
  if (meter_unlimited_now(m, p)) return MeterVerdict::conform;
  return meter_packet_slow(m, p, pkt, now_tsc);
}

// Rewrites the DSCP of the IPv4 or IPv6 packet described by `meta` (ECN bits kept). IPv4's header checksum
// is updated incrementally (RFC 1624) rather than recomputed: only one 16-bit word changes.
void set_dscp(rte_mbuf* m, const PacketMeta* meta, uint8_t dscp);

}  // namespace wansteer
