// Neighbours: ARP for the edge. Answers requests for the edge's own addresses, learns LAN hosts (and static
// entries), resolves each link's gateway (rate-limited requests) and asks for LAN next hops workers could not
// resolve. Never learns the edge's own or a group MAC; ARP claiming an edge address is ignored and reported. Frames go
// out through a send callback; what changed is returned as facts for the control loop.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rte_ether.h>

#include "control/policy/policy.hpp"
#include "control/runtime/arp_hold.hpp"
#include "dataplane/snapshot.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace wansteer {

// Each link's next hop as far as ARP (or the policy) knows it.
struct Gateways {
  bool resolved[kMaxLinks] = {};
  rte_ether_addr mac[kMaxLinks] = {};
};

class Neighbours {
 public:
  // Queues a frame for transmission on port index `pi` (0 = LAN, 1 + link); takes ownership of the mbuf.
  using SendFn = std::function<void(rte_mbuf* m, uint8_t pi)>;

  // `policy` is read at every call (a reload replaces it in place); the MACs are the ports' own.
  Neighbours(const Policy& policy, rte_mempool* pool, const rte_ether_addr& lan_mac, const rte_ether_addr* link_macs,
             uint64_t hz, SendFn send);

  // What an ARP frame changed.
  struct ArpFacts {
    bool gateway_changed = false;     // a link's gateway MAC was learned or changed: replan and publish
    bool neighbours_changed = false;  // a LAN host was learned or moved: rebuild the neighbour table
    // Another host claimed one of the edge's own addresses, or a static neighbour's address with another MAC (IP
    // conflict or spoofing): the frame was ignored; control raises an "arp_conflict" event naming the address, the
    // claiming MAC and the port.
    bool conflict = false;
    bool conflict_static = false;  // the address claimed is a static neighbour's, not the edge's
    uint32_t conflict_ip = 0;      // host order
    rte_ether_addr conflict_mac{};
  };
  // An ARP frame a worker handed over (kToControlArp), `now` in clock ticks. Consumes the mbuf: a request for one
  // of our addresses becomes the reply in place, anything else is freed.
  ArpFacts on_arp(rte_mbuf* m, uint64_t now);
  // A LAN packet without a known next hop (kToControlResolve, ready but for its Ethernet header). A host control
  // has learned already (the workers' table lags by a publish) gets it at once; otherwise it is held (ArpHold) and
  // the host asked for, at most once per kNeighborRetryMs. No room to hold it: a no_neighbor drop.
  void on_unresolved(rte_mbuf* m, uint64_t now);
  // Every control tick: held packets that waited too long are dropped (no_neighbor), hosts still waited for are
  // asked again when due, and requests older than the retry time are forgotten.
  void tick_held(uint64_t now);
  // Shutdown: every held packet back to the pool, counted as a no_neighbor drop.
  void drop_held() { no_neighbor_drops_ += hold_.clear(); }
  // Asks for every dynamic gateway that is due: unresolved ones often, resolved ones now and then.
  void refresh_gateways(uint64_t now);
  // A DHCP lease named another gateway, or none: forget the old one's MAC and ask for the new one at once.
  void forget_gateway(size_t l) {
    gw_.resolved[l] = false;
    gw_asked_[l] = 0;
  }
  // After a reload: static gateway MACs of the new policy take effect.
  void apply_static_gateways();
  // After a reload (and at start): every LAN host's subnet, and so the VLAN tag packets to it get, from the
  // policy's subnets as they are now (a host no subnet holds any more, or whose subnet moved to another VLAN, is
  // forgotten: ARP finds it again where it is); the static entries set as the policy has them now (a static entry
  // removed from it is forgotten too). Packets held for a host outside every subnet are dropped (no_neighbor).
  // True when the workers' table must be rebuilt.
  bool apply_lan_policy();

  // The LAN neighbours as the table workers look next hops up in; nullptr with *error on failure.
  std::shared_ptr<const NeighborTable> build_table(std::string* error) const;

  // One LAN host as `wansteerctl show neighbors` lists it: known (resolved), or asked for with packets waiting.
  struct Row {
    uint32_t ip;  // host order
    rte_ether_addr mac;
    uint16_t vlan;
    bool fixed;     // a static entry of the policy
    bool resolved;  // false: asked for, `held` packets waiting
    size_t held;
  };
  std::vector<Row> rows() const;  // by address

  const Gateways& gateways() const { return gw_; }
  size_t lan_count() const { return lan_.size(); }
  uint64_t arp_replies() const { return arp_replies_; }
  uint64_t arp_requests() const { return arp_requests_; }
  uint64_t no_neighbor_drops() const { return no_neighbor_drops_; }
  // Packets control addressed to a LAN host itself: held until its ARP answer, or sent while the workers' table
  // did not have the host yet.
  uint64_t held_sent() const { return held_sent_; }
  size_t held() const { return hold_.size(); }
  // LAN addresses asked for within the retry time (the rate limit's entries; older ones are forgotten).
  size_t asking() const { return asked_.size(); }
  // claimed our address or a static neighbour's, or an edge/group sender MAC
  uint64_t arp_ignored() const { return arp_ignored_; }

  static constexpr uint64_t kGatewayRetryMs = 200;      // unresolved gateway: ask again this often
  static constexpr uint64_t kGatewayRefreshMs = 15000;  // resolved gateway: re-ask so a changed MAC is noticed
  static constexpr uint64_t kNeighborRetryMs = 1000;    // LAN host without a MAC: at most one ARP per second

 private:
  struct Entry {
    rte_ether_addr mac;
    uint8_t subnet;
    uint16_t vlan;  // where the host was learned (its subnet's tag then): a reload that retags the subnet forgets it
    bool fixed;     // a static entry of the policy: ARP never changes it
  };
  int subnet_of(uint32_t ip) const;  // index into policy_.lan.subnets, -1: none
  void ask_lan(uint32_t ip, uint64_t now);
  void send_to_host(rte_mbuf* m, const Entry& e);
  void send_request(uint8_t pi, uint16_t vlan, const rte_ether_addr& our_mac, uint32_t our_ip, uint32_t target_ip);
  bool learn_lan(uint16_t vlan, uint32_t sip, const rte_ether_addr& sha, uint32_t tip, uint32_t* our_ip, bool* changed);
  bool learn_gateway(size_t l, uint32_t sip, const rte_ether_addr& sha);
  bool is_own_mac(const rte_ether_addr& mac) const;
  bool is_own_ip(uint32_t ip) const;
  void forget_old_asks(uint64_t now);

  const Policy& policy_;
  rte_mempool* pool_;
  rte_ether_addr lan_mac_;
  const rte_ether_addr* link_macs_;
  uint64_t ms_;  // ticks per millisecond
  SendFn send_;
  std::map<uint32_t, Entry> lan_;       // learned from ARP and static entries
  std::map<uint32_t, uint64_t> asked_;  // rate limit of our LAN requests per target (ticks), the last second's
  uint64_t asks_swept_ = 0;             // when forget_old_asks last ran (ticks)
  Gateways gw_;
  uint64_t gw_asked_[kMaxLinks] = {};  // ticks; 0 = never
  ArpHold hold_;
  uint64_t arp_replies_ = 0, arp_requests_ = 0, no_neighbor_drops_ = 0, arp_ignored_ = 0, held_sent_ = 0;
};

}  // namespace wansteer
