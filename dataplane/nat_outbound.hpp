// Source NAT of LAN->WAN IPv4 packets leaving on a link with `nat: true`, in two steps shared by the fast lane
// (lookup only: a flow without a session goes to the general path) and the general path (lookup or create).
#pragma once
#include <cstdint>

#include "dataplane/drop_reasons.hpp"
#include "dataplane/nat_session_table.hpp"

namespace wansteer {

struct DataplaneSnapshot;
struct WorkerContext;

enum class NatOut : uint8_t { ok, no_session, table_full, host_limit, no_port, untranslatable };

// The session of the packet whose IPv4 header is at `ip` (`seg_left` bytes of the first segment from there) on
// `link`, made when missing and `create`; refreshed and its TCP state moved. Nothing in the packet changes yet.
// `hint` (the fast lane's, kept per flow; may be null): tried before the hash (find_outbound_hinted), set on ok.
NatOut nat_outbound_session(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t* ip,
                            uint32_t seg_left, bool create, uint64_t now_tsc, NatSession** session,
                            uint32_t* hint = nullptr);

// Rewrites the packet's source to the link's address `ext_ip` (host order) and the session's external port.
void nat_outbound_rewrite(uint8_t* ip, const NatSession& s, uint32_t ext_ip);

// The drop reason of a failed outcome.
DropReason nat_out_drop_reason(NatOut o);

}  // namespace wansteer
