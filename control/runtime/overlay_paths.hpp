// OverlayPaths: the control thread's probes through the WireGuard overlay (issue 13), one path per link: ICMP echo
// requests from the edge's LAN address to the hub's inner address, sealed with the current send key and sent in the
// overlay's outer headers of each alive link; the replies the workers hand over (kToControlOverlayProbe) feed each
// path's health (control/health/overlay_path_health.hpp), which the planner reads for overlay candidates.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/health/overlay_path_health.hpp"
#include "control/policy/policy.hpp"
#include "control/steering/events.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/overlay/chacha_poly.hpp"
#include "dataplane/snapshot.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace wansteer {

// One path as `show overlay` and the metrics report it.
struct OverlayPathView {
  bool probing = false;  // probes are sent over this link's tunnel (the overlay has a LAN address to send from)
  bool up = false;       // the path answers (or is in its grace after the session or link came up)
  LinkMetrics metrics;   // loss, RTT, jitter, probes sent and answered through the tunnel
};

class OverlayPaths {
 public:
  using SendFn = std::function<void(rte_mbuf* m, uint8_t pi)>;
  // Through the tunnel probes leave at the link's probe interval but at most every kMinIntervalMs: each one costs
  // the hub a decryption, an ICMP reply and an encryption, and the lines ~230 bytes with the answer, where 20 ms
  // direct probes to the ISP's gateway cost nothing of the hub's. 10 per second per link still decides "down"
  // within a second and gives a loss window of 10 s (loss_window probes).
  static constexpr uint32_t kMinIntervalMs = 100;

  // send: the control plane's send function (the OverlayControl's, which outlives this).
  OverlayPaths(rte_mempool* pool, const SendFn& send, EventLog& events);
  ~OverlayPaths();

  // From the policy: links, their probe settings, the classes' SLAs, the hub's inner address. Paths keep their
  // figures when none of that changed (a reload of the same policy moves nothing).
  void configure(const Policy& policy);
  // Sends due probes over the links in `carrying` (the link alive, a send key in `key`, its gateway resolved) and
  // ages the paths. A link that starts carrying gets the grace (OverlayPathHealth). now_ns: control's clock.
  void tick(uint64_t now_ns, const std::array<bool, kMaxLinks>& carrying, const DataplaneSnapshot& snap,
            const wg::TransportKeys* key);
  // A frame the workers handed over (kToControlOverlayProbe), received at rx_ns. Does not free it.
  void on_reply(rte_mbuf* m, uint64_t rx_ns);

  // False while no probe can be sent (no hub inner address or no LAN address to send from): the planner then
  // judges overlay candidates as before, by the link alone.
  bool probing() const { return probing_; }
  bool up(size_t l) const { return l >= paths_.size() || !paths_[l] || paths_[l]->up(); }
  bool sla_ok(size_t c, size_t l) const { return l >= paths_.size() || !paths_[l] || paths_[l]->sla_ok(c); }
  OverlayPathView view(size_t l) const;

 private:
  struct LinkSetup {
    HealthConfig health;
    bool operator==(const LinkSetup&) const;
  };
  bool send_probe(uint8_t l, const DataplaneSnapshot& snap, const wg::TransportKeys& key, uint64_t now_ns);
  int hold_first(const std::array<bool, kMaxLinks>& in_round, uint64_t now_ns);
  void note_up_change(size_t l);  // an overlay_path event when the path goes down or up

  rte_mempool* pool_;
  const SendFn& send_;
  EventLog& events_;
  wg::ChaChaPoly aead_;  // control's own: probes are sealed here, never by a worker's context
  uint32_t hub_inner_ = 0;
  bool probing_ = false;
  std::vector<std::string> link_names_;
  std::vector<LinkSetup> setup_;
  std::vector<Sla> slas_;
  std::vector<std::optional<OverlayPathHealth>> paths_;
  std::array<bool, kMaxLinks> carrying_{};
  std::array<bool, kMaxLinks> was_up_{};
  std::array<uint64_t, kMaxLinks> next_due_ns_{};
  uint16_t ip_id_ = 0;
  int deferred_ = -1;  // the round's first link, its probe held back until deferred_at_ns_ (hold_first)
  uint64_t deferred_at_ns_ = 0;
};

}  // namespace wansteer
