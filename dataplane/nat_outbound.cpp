// Source NAT, LAN->WAN (see nat_outbound.hpp): endpoint-independent mapping per (link, protocol, inside address,
// inside port); TCP and UDP ports and ICMP echo identifiers; everything else on a NAT link is untranslatable.
#include "dataplane/nat_outbound.hpp"

#include <rte_icmp.h>

#include "dataplane/nat_translate.hpp"
#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {
namespace {

NatOut from_alloc(NatAlloc a) {
  switch (a) {
    case NatAlloc::ok:
      return NatOut::ok;
    case NatAlloc::table_full:
      return NatOut::table_full;
    case NatAlloc::host_limit:
      return NatOut::host_limit;
    case NatAlloc::no_port:
      return NatOut::no_port;
  }
  return NatOut::table_full;
}

}  // namespace

NatOut nat_outbound_session(WorkerContext& w, const DataplaneSnapshot& snap, uint8_t link, uint8_t* ip,
                            uint32_t seg_left, bool create, uint64_t now_tsc, NatSession** session, uint16_t* owner,
                            uint32_t* hint) {
  if (!w.nat) return NatOut::table_full;
  uint8_t* l4 = nat_l4_of(ip, seg_left);
  if (l4 == nullptr) return NatOut::untranslatable;
  const uint8_t proto = ip[9];
  // Only queries are mapped from the LAN (RFC 5508 REQ-1); ICMP errors of LAN hosts have nothing to map to.
  if (proto == kIpProtoIcmp && l4[0] != RTE_IP_ICMP_ECHO_REQUEST) return NatOut::untranslatable;
  const NatProto p = proto == kIpProtoTcp ? NatProto::tcp : proto == kIpProtoUdp ? NatProto::udp : NatProto::icmp;
  const uint32_t src = nat_rd32(ip + 12);
  const uint16_t port = nat_rd16(nat_port_field(l4, proto, true));
  if (owner != nullptr && !w.nat->owns(port)) {
    *owner = w.nat->owner_of(port);
    return NatOut::elsewhere;
  }
  NatSession* s = hint != nullptr ? w.nat->find_outbound_hinted(*hint, link, p, src, port, now_tsc, snap.nat.timeouts)
                                  : w.nat->find_outbound(link, p, src, port, now_tsc, snap.nat.timeouts);
  if (s == nullptr) {
    if (!create) return NatOut::no_session;
    // A port forward's LAN host speaks from the forwarded port (the forward is its mapping); everyone else gets a
    // port no forward holds.
    const LinkForwards* lf = p == NatProto::icmp ? nullptr : forwards_of(snap, link);
    const PortForward* fw = lf != nullptr ? lf->of_target(p, src, port) : nullptr;
    const NatOut made =
        from_alloc(fw != nullptr ? w.nat->create_forward(link, p, src, port, fw->external_port(port), now_tsc,
                                                         snap.nat.per_host, &s)
                                 : w.nat->create(link, p, src, port, now_tsc, snap.nat.per_host, &s, lf));
    if (made != NatOut::ok) return made;
    w.counters.nat_sessions_created.inc();
  }
  nat_outbound_touch(*s, p, l4, now_tsc);
  *session = s;
  if (hint != nullptr) *hint = w.nat->hint_of(s);
  return NatOut::ok;
}

DropReason nat_out_drop_reason(NatOut o) {
  switch (o) {
    case NatOut::host_limit:
      return DropReason::nat_host_limit;
    case NatOut::no_port:
      return DropReason::nat_no_port;
    case NatOut::untranslatable:
      return DropReason::nat_untranslatable;
    default:
      return DropReason::nat_table_full;
  }
}

}  // namespace wansteer
