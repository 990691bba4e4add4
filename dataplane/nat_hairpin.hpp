// Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8): a LAN host's TCP/UDP packet to a NAT link's own address goes back
// to the LAN host a port forward (or an open session) of that port points at, from the link's address and the
// sender's own mapping, so the answer comes back through the edge too and is hairpinned the same way.
// Several workers: the frame reaches the worker owning the sender's port (the fast lane hands it there on receipt),
// which makes or finds the sender's mapping; the target is found in that worker's table only, so a hairpin to an
// open session another worker owns is dropped as inbound_no_session (port forwards, read from the snapshot, work).
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/packet_meta.hpp"

namespace wansteer {

struct DataplaneSnapshot;
struct WorkerContext;

// The NAT link whose own address the LAN packet is addressed to when it can be hairpinned (an unfragmented TCP or
// UDP IPv4 packet), else kNoLink.
uint8_t nat_hairpin_link(const DataplaneSnapshot& snap, const PacketMeta* meta);

// Translates both addresses and ports and sends the packet to its LAN host, or drops it with its reason
// (inbound_no_session when the port is neither forwarded nor mapped, the NAT allocation's reasons, no neighbour).
void nat_hairpin(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, rte_mbuf* m, PacketMeta* meta,
                 uint64_t now_tsc);

}  // namespace wansteer
