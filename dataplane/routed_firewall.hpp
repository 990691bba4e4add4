// Stateful firewall of routed links (`nat: false`: a public LAN behind the edge). Nothing is translated, but from
// such a link only replies to sessions the LAN opened, the link's `forwards` (allowed inbound services) and what the
// edge itself answers reach the LAN. Sessions are pinholes in the worker's NAT session table (same capacity, per-host
// cap and timeouts), owned as NAT ports are: by inside port (or echo identifier) % workers.
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/drop_reasons.hpp"
#include "dataplane/packet_meta.hpp"

namespace wansteer {

struct DataplaneSnapshot;
struct WorkerContext;

// untracked: nothing to track (a later fragment, an ICMP error or a protocol other than TCP, UDP and ICMP echo); it
// leaves without a session and its replies are not let in. elsewhere: worker *owner owns the inside endpoint.
// no_session: none yet and `create` was false.
enum class FwOut : uint8_t { ok, untracked, elsewhere, no_session, table_full, host_limit };

// LAN->WAN on routed link `link`, the IPv4 header at `ip` (`seg_left` bytes of the first segment from there): the
// session of the packet's source endpoint refreshed, made when missing and `create`, its TCP state moved.
FwOut firewall_outbound(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t* ip, uint32_t seg_left,
                        bool create, uint64_t now_tsc, uint16_t* owner);

// no_session: TCP, UDP, an ICMP echo reply or error matching no session of the LAN host. untracked: anything else
// (a later fragment, an echo request, another protocol). denied: to an allowed service from a source its `from`
// leaves out. elsewhere: worker *owner owns the LAN endpoint's sessions.
enum class FwIn : uint8_t { ok, no_session, untracked, denied, elsewhere };

// WAN->LAN through routed link `link`, to a LAN host: whether it may pass; a session it answers is refreshed.
FwIn firewall_inbound(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m,
                      const PacketMeta* meta, uint64_t now_tsc, uint16_t* owner);

// The drop reason of a failed outbound outcome (table_full, host_limit).
inline DropReason firewall_out_drop_reason(FwOut o) {
  return o == FwOut::host_limit ? DropReason::nat_host_limit : DropReason::nat_table_full;
}

}  // namespace wansteer
