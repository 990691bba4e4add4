// Prober: builds each link's probes (ICMP echo or STAMP), sends them out through that link's own TX path and
// matches the replies the workers hand back with their receive TSC, feeding the link's health estimators.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <rte_ether.h>

#include "control/health/link_health.hpp"
#include "control/health/stamp.hpp"
#include "control/policy/policy.hpp"

struct rte_mbuf;
struct rte_mempool;
struct rte_ipv4_hdr;

namespace wansteer {

// The estimators' settings from a link's probe settings.
HealthConfig health_config(const ProbeSpec& p);

class Prober {
 public:
  // `send` queues a frame for transmission on port index `pi` (1 + link); it takes ownership of the mbuf.
  using SendFn = std::function<void(rte_mbuf* m, uint8_t pi)>;

  Prober(const Policy& policy, rte_mempool* pool, const rte_ether_addr* link_macs, uint64_t tsc_hz, SendFn send);

  // What the prober needs to know about a link right now.
  struct LinkTx {
    bool can_send = false;  // admin up and next hop resolved
    rte_ether_addr gateway_mac{};
    bool carrying_traffic = false;  // user traffic went out recently: a metered link probes at its full rate
                                    // then, an unmetered one at traffic_interval_ms
  };
  // Sends the probes that are due and ages unanswered ones. Call every control tick.
  void tick(uint64_t now_tsc, const std::array<LinkTx, kMaxLinks>& links);

  // A frame the worker handed over as a probe reply (kToControlProbe). Does not free it. Returns the worker's
  // receive TSC when it answers one of our probes (in time or late), 0 otherwise.
  uint64_t on_reply(rte_mbuf* m, uint8_t link);

  // A DHCP lease (re)addressed `link`: probes leave from `own_ip`, and targets that were the old gateway (the default
  // target) follow the new one.
  void readdress(size_t link, uint32_t own_ip, uint32_t old_gateway, uint32_t gateway);

  bool enabled(size_t link) const { return links_[link].enabled; }
  LinkLiveness& liveness(size_t link) { return *links_[link].liveness; }
  const LinkLiveness& liveness(size_t link) const { return *links_[link].liveness; }
  uint32_t current_interval_ms(size_t link) const { return links_[link].interval_ms; }
  // While the loss test is in doubt about `link` (LinkLiveness::loss_in_doubt), its probes leave every
  // boost_interval_ms instead (unmetered links only): the test decides in a fraction of the time at a bounded
  // cost. While it carries user traffic they leave every traffic_interval_ms, so the first loss (which starts
  // the boost) is seen soon. Detect time and the passive window keep following the normal interval.
  void set_loss_boost(size_t link, bool on) { links_[link].boost = on; }
  uint32_t send_interval_ms(size_t link) const { return links_[link].send_ms; }  // probes leave this often now
  size_t n_targets(size_t link) const { return links_[link].targets.size(); }
  const ProbeTarget& target_spec(size_t link, size_t t) const { return links_[link].targets[t].spec; }

  struct Stats {
    uint64_t sent = 0, replies = 0, unmatched = 0, tx_bytes = 0, rx_bytes = 0, alloc_failures = 0;
    uint64_t stamp_auth_failed = 0;  // STAMP replies refused in authenticated mode: wrong length or HMAC
  };
  const Stats& stats(size_t link) const { return links_[link].stats; }

  uint64_t ns_of(uint64_t tsc) const {
    return static_cast<uint64_t>(static_cast<__int128>(tsc) * 1000000000 / tsc_hz_);
  }

 private:
  struct Pending {
    uint32_t seq = 0;
    uint64_t tsc = 0;  // 0 = slot free
  };
  static constexpr uint32_t kPendingSlots = 1024;   // probes in flight per target (seq % slots)
  static constexpr uint32_t kMaxProbesPerTick = 4;  // per target, catching up while boosted

  struct Target {
    ProbeTarget spec;
    uint32_t next_seq = 0;
    uint64_t next_due_tsc = 0;
    std::unique_ptr<Pending[]> pending;
  };
  struct Link {
    bool enabled = false;
    uint32_t own_ip = 0;
    bool metered = false;
    ProbeSpec spec;            // spec.stamp_auth_key non-empty: STAMP probes in RFC 8762 authenticated mode
    uint32_t interval_ms = 0;  // the probe interval liveness is judged by
    uint32_t send_ms = 0;      // the interval probes leave at now (shorter while boosted)
    bool boost = false;
    std::vector<Target> targets;
    std::unique_ptr<LinkLiveness> liveness;
    Stats stats;
  };

  static uint32_t send_ms_for(const Link& L, uint32_t interval, bool carrying_traffic);
  rte_ipv4_hdr* frame_header(rte_mbuf* m, size_t link, size_t target, const rte_ether_addr& gw_mac, uint8_t proto,
                             uint16_t ip_len);
  // Builds and sends the next probe of (l, t); false when no mbuf was free (counted).
  bool send_probe(size_t l, size_t t, const rte_ether_addr& gw_mac, uint64_t now_tsc, uint64_t now_ns);
  rte_mbuf* build_icmp(size_t link, size_t target, uint32_t seq, const rte_ether_addr& gw_mac, uint64_t tsc);
  rte_mbuf* build_stamp(size_t link, size_t target, uint32_t seq, const rte_ether_addr& gw_mac, uint64_t tsc);
  // The STAMP reply in a UDP payload, in the link's mode; false when it is refused (counted).
  bool read_stamp_reply(Link& L, const uint8_t* payload, size_t len, stamp::ReflectorPacket* rp);

  rte_mempool* pool_;
  const rte_ether_addr* link_macs_;
  uint64_t tsc_hz_;
  SendFn send_;
  uint16_t ip_id_ = 1;
  std::array<Link, kMaxLinks> links_;
};

}  // namespace wansteer
