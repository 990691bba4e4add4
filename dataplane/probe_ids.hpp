// The probe-id contract between control's prober and the workers: which UDP source ports and ICMP identifiers
// control's link probes use, how a (link, target) pair maps to them and back, and the limits behind that map.
#pragma once
#include <cstdint>
#include <optional>

#include "dataplane/limits.hpp"

namespace wansteer {

// Probe targets one link may have (the policy rejects more; the prober never builds more).
inline constexpr uint32_t kMaxProbeTargets = 8;
// Ids reserved per link. Wider than kMaxProbeTargets on purpose: ports and identifiers already on the wire (and
// in captures) keep their values, and a link may grow more targets without renumbering the others.
inline constexpr uint16_t kProbeIdsPerLink = 16;
inline constexpr uint16_t kProbeIdCount = kMaxLinks * kProbeIdsPerLink;  // ids in the whole scheme
static_assert(kMaxProbeTargets <= kProbeIdsPerLink, "every target needs an id of its own");

// Control's probes leave from these UDP ports (STAMP session-sender) and carry these ICMP identifiers, so a worker
// can tell a probe reply from other traffic addressed to a link's own address.
inline constexpr uint16_t kProbePortBase = 40860;
inline constexpr uint16_t kProbeIcmpIdBase = 0x5700;
static_assert(kProbePortBase + kProbeIdCount <= 65536 && kProbeIcmpIdBase + kProbeIdCount <= 65536);

// Where a probe id points.
struct ProbeSlot {
  uint32_t link = 0;
  uint32_t target = 0;
  bool operator==(const ProbeSlot&) const = default;
};

// The id (0 .. kProbeIdCount-1) of a link's target; the caller keeps link < kMaxLinks, target < kMaxProbeTargets.
constexpr uint16_t probe_id(uint32_t link, uint32_t target) {
  return static_cast<uint16_t>(link * kProbeIdsPerLink + target);
}
constexpr uint16_t probe_port(uint32_t link, uint32_t target) {
  return static_cast<uint16_t>(kProbePortBase + probe_id(link, target));
}
constexpr uint16_t probe_icmp_id(uint32_t link, uint32_t target) {
  return static_cast<uint16_t>(kProbeIcmpIdBase + probe_id(link, target));
}

// The workers' test: is this UDP destination port in the probe range? (Cheap; the prober checks the target.)
constexpr bool is_probe_port(uint16_t port) { return port >= kProbePortBase && port < kProbePortBase + kProbeIdCount; }

// An id back to its (link, target), or nothing when it is outside the scheme or names a target beyond the limit.
constexpr std::optional<ProbeSlot> probe_slot(uint32_t id) {
  if (id >= kProbeIdCount || id % kProbeIdsPerLink >= kMaxProbeTargets) return std::nullopt;
  return ProbeSlot{id / kProbeIdsPerLink, id % kProbeIdsPerLink};
}
constexpr std::optional<ProbeSlot> probe_slot_of_port(uint16_t port) {
  return port < kProbePortBase ? std::nullopt : probe_slot(port - kProbePortBase);
}
constexpr std::optional<ProbeSlot> probe_slot_of_icmp_id(uint16_t id) {
  return id < kProbeIcmpIdBase ? std::nullopt : probe_slot(id - kProbeIcmpIdBase);
}

}  // namespace wansteer
