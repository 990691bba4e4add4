// DhcpLinks: the DHCP clients of the `address: dhcp` links, between mbufs and the pure client state machine.
#include "control/runtime/dhcp_links.hpp"

#include <cstring>

#include <rte_mbuf.h>

namespace wansteer {

DhcpLinks::DhcpLinks(const Policy& policy, rte_mempool* pool, const rte_ether_addr* link_macs, uint64_t hz,
                     uint64_t now, SendFn send, ChangeFn changed)
    : pool_(pool), send_(std::move(send)), changed_(std::move(changed)) {
  for (size_t l = 0; l < policy.links.size() && l < kMaxLinks; l++) {
    if (!policy.links[l].dhcp) continue;
    dhcp::Mac mac;
    std::memcpy(mac.data(), link_macs[l].addr_bytes, mac.size());
    // Transaction ids differ per link and per start: the MAC's last octets and the clock.
    const uint32_t seed = static_cast<uint32_t>(now ^ (now >> 32)) ^ (uint32_t{mac[4]} << 8 | mac[5]) ^ uint32_t(l);
    const auto link = static_cast<uint8_t>(l);
    clients_[l] =
        std::make_unique<dhcp::Client>(mac, hz, seed, [this, link](const dhcp::Outgoing& o) { send_frame(link, o); });
  }
}

void DhcpLinks::send_frame(uint8_t link, const dhcp::Outgoing& o) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) {
    alloc_failures_++;  // the client retransmits: nothing else to do
    return;
  }
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, dhcp::kMaxFrame));
  if (p == nullptr || dhcp::encode(o, std::span<uint8_t>(p, dhcp::kMaxFrame)) != dhcp::kMaxFrame) {
    rte_pktmbuf_free(m);
    alloc_failures_++;
    return;
  }
  send_(m, static_cast<uint8_t>(link + 1));
}

void DhcpLinks::tick(uint64_t now) {
  for (size_t l = 0; l < kMaxLinks; l++) {
    if (!clients_[l]) continue;
    const dhcp::Change c = clients_[l]->tick(now);
    if (c.event != dhcp::Event::none) changed_(static_cast<uint8_t>(l), c, now);
  }
}

void DhcpLinks::on_frame(rte_mbuf* m, uint8_t link, uint64_t now) {
  dhcp::Client* client = link < kMaxLinks ? clients_[link].get() : nullptr;
  // A reply fits one segment (576 octets at most unless the server was told more, which we never do).
  if (client == nullptr || m->nb_segs != 1) {
    refused_++;
    rte_pktmbuf_free(m);
    return;
  }
  const dhcp::Decoded d =
      dhcp::decode(std::span<const uint8_t>(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)));
  rte_pktmbuf_free(m);
  if (d.refusal != dhcp::Refusal::ok) {
    refused_++;
    return;
  }
  const dhcp::Change c = client->on_reply(d.reply, now);
  if (c.event != dhcp::Event::none) changed_(link, c, now);
}

}  // namespace wansteer
