// ControlPlane::apply_lease: a DHCP lease change made real. The link takes the lease's address, prefix and gateway
// (the next snapshot carries them to the workers); without a lease it has neither and is down.
#include <fmt/format.h>

#include "control/common/addr_format.hpp"
#include "control/runtime/control_plane.hpp"

namespace wansteer {

void ControlPlane::apply_lease(uint8_t l, const dhcp::Change& c, uint64_t now) {
  LinkSpec& ls = policy_.links[l];
  const Ipv4Cidr old_address = ls.address;
  const uint32_t old_gateway = ls.gateway;
  if (c.event == dhcp::Event::lost) {
    ls.address = {};
    ls.gateway = 0;
  } else {
    ls.address = Ipv4Cidr{c.lease.address, c.lease.prefix};
    ls.gateway = c.lease.gateway;
  }
  // A new gateway (or none) must be ARPed for before the link carries traffic again; no gateway: the link is down.
  if (ls.gateway != old_gateway || c.event == dhcp::Event::lost) neighbours_.forget_gateway(l);
  monitor_.readdress(l, ls.address.addr, old_gateway, ls.gateway);
  Event e;
  e.kind = dhcp::event_name(c.event);
  e.link = ls.name;
  e.from = old_address.addr ? fmt::format("{}/{}", ipv4_str(old_address.addr), old_address.len) : "none";
  e.to = ls.address.addr ? fmt::format("{}/{}", ipv4_str(ls.address.addr), ls.address.len) : "none";
  e.cause = c.event == dhcp::Event::lost ? std::string("lease_lost")
                                         : fmt::format("gateway {} server {} lease {}s", ipv4_str(ls.gateway),
                                                       ipv4_str(c.lease.server), c.lease.lease_s);
  events_.emit(std::move(e));
  replan(now);
  dirty_ = true;
}

}  // namespace wansteer
