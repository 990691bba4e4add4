// Port forwards as the workers read them (compiled by control into the snapshot, immutable): on a NAT link, which
// (protocol, port) of a link's address go to which LAN host and port, who may use them, and which ports the NAT
// port allocator must never hand out on that link; on a routed link, which LAN hosts' ports the internet may reach.
#pragma once
#include <array>
#include <cstdint>

#include "dataplane/limits.hpp"
#include "dataplane/nat_session_table.hpp"

namespace wansteer {

inline constexpr uint32_t kMaxForwardsPerLink = 32;  // forwards per link (the policy rejects more)
inline constexpr uint32_t kMaxForwardSources = 8;    // `from` prefixes per forward

struct PortForward {
  uint32_t to_ip = 0;                 // host order
  uint16_t port_lo = 0, port_hi = 0;  // on the link's address
  uint16_t to_port = 0;               // the target port of port_lo; the range maps 1:1
  uint8_t proto = 0;                  // NatProto: tcp or udp
  uint8_t n_from = 0;                 // 0: any source
  struct Source {
    uint32_t network = 0, mask = 0;  // host order
  } from[kMaxForwardSources];

  // The LAN port that external port `port` (within the range) goes to, and back.
  uint16_t target_port(uint16_t port) const { return static_cast<uint16_t>(to_port + (port - port_lo)); }
  uint16_t external_port(uint16_t target) const { return static_cast<uint16_t>(port_lo + (target - to_port)); }
  bool allows(uint32_t src) const {
    if (n_from == 0) return true;
    for (uint32_t i = 0; i < n_from; i++)
      if ((src & from[i].mask) == from[i].network) return true;
    return false;
  }
};

// One link's forwards: a bitmap per protocol of the forwarded ports (the per-packet test and the allocator's), the
// forwards themselves scanned only for ports the bitmap marks and for new sessions of LAN hosts.
struct LinkForwards {
  uint32_t n = 0;
  PortForward fwd[kMaxForwardsPerLink];
  std::array<uint64_t, 1024> ports[2]{};  // [NatProto tcp, udp]: bit p set when port p is forwarded

  bool forwarded(NatProto p, uint16_t port) const {
    return p != NatProto::icmp && (ports[static_cast<uint32_t>(p)][port >> 6] >> (port & 63)) & 1u;
  }
  // The forward of external `port`, or nullptr.
  const PortForward* inbound(NatProto p, uint16_t port) const {
    if (!forwarded(p, port)) return nullptr;
    for (uint32_t i = 0; i < n; i++)
      if (fwd[i].proto == static_cast<uint8_t>(p) && port >= fwd[i].port_lo && port <= fwd[i].port_hi) return &fwd[i];
    return nullptr;
  }
  // The forward whose target is LAN endpoint (ip, port), or nullptr.
  const PortForward* of_target(NatProto p, uint32_t ip, uint16_t port) const {
    for (uint32_t i = 0; i < n; i++) {
      const PortForward& f = fwd[i];
      if (f.proto == static_cast<uint8_t>(p) && f.to_ip == ip && port >= f.to_port &&
          port - f.to_port <= f.port_hi - f.port_lo)
        return &f;
    }
    return nullptr;
  }
  // On a routed link (nothing translated): the forward that opens LAN endpoint (ip, port) to the internet, or nullptr.
  const PortForward* allowing(NatProto p, uint32_t ip, uint16_t port) const {
    if (!forwarded(p, port)) return nullptr;
    for (uint32_t i = 0; i < n; i++) {
      const PortForward& f = fwd[i];
      if (f.proto == static_cast<uint8_t>(p) && f.to_ip == ip && port >= f.port_lo && port <= f.port_hi) return &f;
    }
    return nullptr;
  }
  void mark(NatProto p, uint16_t port) { ports[static_cast<uint32_t>(p)][port >> 6] |= uint64_t{1} << (port & 63); }
};

struct PortForwards {
  LinkForwards link[kMaxLinks];
};

}  // namespace wansteer
