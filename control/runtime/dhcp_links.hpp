// DhcpLinks: the DHCP clients of the links with `address: dhcp`. Turns the server replies workers hand over into
// client input and the clients' messages into frames out of each link's own port; lease changes go to a callback.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include <rte_ether.h>

#include "control/policy/policy.hpp"
#include "control/runtime/dhcp_client.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace wansteer {

class DhcpLinks {
 public:
  // Queues a frame for transmission on port index `pi` (1 + link); takes ownership of the mbuf.
  using SendFn = std::function<void(rte_mbuf* m, uint8_t pi)>;
  // A client's lease changed (bound, renewed, changed, lost).
  using ChangeFn = std::function<void(uint8_t link, const dhcp::Change& c, uint64_t now)>;

  // One client per DHCP link of `policy`, sending from the link port's MAC; `now` seeds the transaction ids.
  DhcpLinks(const Policy& policy, rte_mempool* pool, const rte_ether_addr* link_macs, uint64_t hz, uint64_t now,
            SendFn send, ChangeFn changed);

  // Starts, retransmits, renews, rebinds and expires leases when due.
  void tick(uint64_t now);
  // A frame a worker handed over (kToControlDhcp) from link `link`. Frees it.
  void on_frame(rte_mbuf* m, uint8_t link, uint64_t now);

  // Link `l`'s client; nullptr for a link with a static address.
  const dhcp::Client* client(size_t l) const { return clients_[l].get(); }
  uint64_t refused() const { return refused_; }  // frames that did not decode as a DHCP reply

 private:
  void send_frame(uint8_t link, const dhcp::Outgoing& o);

  rte_mempool* pool_;
  SendFn send_;
  ChangeFn changed_;
  std::array<std::unique_ptr<dhcp::Client>, kMaxLinks> clients_;
  uint64_t refused_ = 0, alloc_failures_ = 0;
};

}  // namespace wansteer
