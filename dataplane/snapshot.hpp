// DataplaneSnapshot: everything a worker needs to forward, immutable once published by control (RCU QSBR).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include <rte_ether.h>

#include "dataplane/egress_plan.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/nat_session_table.hpp"
#include "dataplane/overlay/overlay_config.hpp"
#include "dataplane/port_forwards.hpp"
#include "dataplane/steering.hpp"

struct rte_hash;

namespace wansteer {

class Classifier;

struct LanSubnet {
  uint32_t own_ip = 0;   // host order: the edge's address on this subnet
  uint32_t network = 0;  // host order
  uint32_t mask = 0;     // host order
  uint16_t vlan = 0;     // 0 = untagged
  bool routed = false;   // hosts behind another router: any source not of another LAN subnet is admitted
};

struct LinkConfig {
  uint16_t port_id = 0;  // DPDK port id
  uint32_t own_ip = 0;   // host order
  uint32_t network = 0, mask = 0;
  uint32_t gateway_ip = 0;  // host order
  rte_ether_addr own_mac{};
  rte_ether_addr gateway_mac{};
  bool gateway_resolved = false;
  bool backup = false;    // role: backup
  bool nat = false;       // source NAT to own_ip for LAN traffic leaving here, inbound only to sessions (nat: true)
  bool firewall = false;  // routed link (nat: false): inbound to LAN hosts only to sessions and forwards
  bool dhcp = false;      // address: dhcp: server replies (UDP 67 -> 68) go to control's DHCP client
  uint16_t mtu = 1500;    // largest IP packet sent here: larger ones are dropped (ICMP fragmentation needed with DF)
  bool fragment = false;  // IPv4 over mtu without DF: fragmented (fragment: true) or dropped as too_big_nodf
  uint16_t mss_max = 0;   // TCP SYNs through this link get MSS <= mss_max (mtu - 40); 0: mss_clamp: false
};

// LAN hosts' MAC addresses, looked up by IPv4 address. Built by control from ARP and static entries.
struct NeighborTable {
  rte_hash* by_ip = nullptr;  // key: uint32_t IPv4 (host order); data: index into entries
  struct Entry {
    rte_ether_addr mac;
    uint8_t subnet;  // index into DataplaneSnapshot::lan
  };
  std::unique_ptr<Entry[]> entries;
  uint32_t count = 0;
  ~NeighborTable();
};

struct DataplaneSnapshot {
  uint64_t generation = 0;         // bumps on every publish
  uint32_t policy_generation = 0;  // bumps when classes/rules change: cached flows from older ones are reclassified
  std::shared_ptr<const Classifier> classifier;
  std::shared_ptr<const NeighborTable> neighbors;
  uint8_t n_links = 0, n_classes = 0, n_lan = 0;
  uint16_t lan_port_id = 0;
  rte_ether_addr lan_mac{};
  LanSubnet lan[kMaxLanSubnets];
  // The prefix every LAN subnet lies in (lan_summarise, lan_subnets.hpp): an address outside it is of no LAN subnet,
  // one test instead of a pass over the subnets (the WAN lane asks it of every reply's source). 0/0, the default of
  // a snapshot built by hand, rules nothing out.
  uint32_t lan_any_network = 0, lan_any_mask = 0;
  LinkConfig links[kMaxLinks];
  SteeringTable steering;
  uint64_t flow_idle_tsc = 0;  // flow cache idle timeout in TSC ticks
  NatSettings nat;             // timeouts and the per-host cap of the NAT session tables (sized at start)
  std::shared_ptr<const PortForwards> forwards;  // the NAT links' port forwards; null when the policy has none
  EgressPlan egress;      // rate limits and shapers (control/runtime/egress_plan.cpp); run-time state is per owner
  OverlayConfig overlay;  // the WireGuard hub and its published keys (issue 13); enabled false without an overlay
};

// Link `link`'s port forwards, or null when it has none.
inline const LinkForwards* forwards_of(const DataplaneSnapshot& snap, uint8_t link) {
  if (!snap.forwards || link >= kMaxLinks || snap.forwards->link[link].n == 0) return nullptr;
  return &snap.forwards->link[link];
}

// The one pointer control swaps. dp: ro (acquire), cp: rw (release), old one freed after an RCU grace period.
struct SnapshotSlot {
  std::atomic<const DataplaneSnapshot*> current{nullptr};
};
static_assert(std::atomic<const DataplaneSnapshot*>::is_always_lock_free);

}  // namespace wansteer
