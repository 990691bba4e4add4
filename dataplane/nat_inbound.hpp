// Destination NAT of WAN->LAN IPv4 packets addressed to a NAT link's own address: replies to sessions the LAN
// opened (TCP, UDP, ICMP echo replies) and ICMP errors about them (RFC 5508: the embedded header too).
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/packet_meta.hpp"

namespace wansteer {

struct DataplaneSnapshot;
struct WorkerContext;

// elsewhere: the session, if any, belongs to another worker (*owner): hand the packet over (nat_handoff.hpp).
// denied: to a port forward whose `from` does not hold the source. full: a forward's new session found no room.
enum class NatIn : uint8_t { ok, no_session, untranslatable, elsewhere, denied, full };

// Translates the packet in place back to its LAN host (meta->dst and dport follow) when it belongs to one of
// this worker's sessions on `link`, or is addressed to one of the link's port forwards (a session to the forward's
// LAN host is made then: its replies leave through it like any session's); moves the TCP state. On any other outcome
// the packet is unchanged; for `elsewhere`, *owner (when given) is the worker whose port it is addressed to.
NatIn nat_inbound(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, PacketMeta* meta,
                  uint64_t now_tsc, uint16_t* owner = nullptr);

}  // namespace wansteer
