// The worker's receive TSC for packets handed to control (probe replies), in a registered mbuf dynamic field:
// PacketMeta has no room for it and only a few packets per second need it.
#pragma once
#include <cstdint>
#include <string>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

namespace wansteer {

// Offset of the field in rte_mbuf, -1 until registered. Written once at start-up, before workers launch.
extern int g_rx_tsc_offset;

// Registers the field (idempotent; needs the EAL). False with *error on failure.
bool register_rx_tsc_field(std::string* error);

inline void set_rx_tsc(rte_mbuf* m, uint64_t tsc) {
  if (g_rx_tsc_offset >= 0) *RTE_MBUF_DYNFIELD(m, g_rx_tsc_offset, uint64_t*) = tsc;
}
// 0 when the field is not registered.
inline uint64_t rx_tsc(const rte_mbuf* m) {
  return g_rx_tsc_offset >= 0 ? *RTE_MBUF_DYNFIELD(m, g_rx_tsc_offset, const uint64_t*) : 0;
}

}  // namespace wansteer
