// OverlayControl: the control thread's side of the WireGuard overlay to the hub (issue 13). Owns the session
// (control/overlay/wg_session.hpp), sends its handshake messages and keepalives out of a link in the overlay's outer
// headers, reads the workers' overlay counters for the session's timers, and says which links the overlay works
// over now (the planner's overlay_alive). Keys reach the workers in the snapshot (keys(), generation()).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/operations/stats.hpp"
#include "control/overlay/wg_session.hpp"
#include "control/policy/policy.hpp"
#include "control/runtime/overlay_endpoints.hpp"
#include "control/runtime/overlay_paths.hpp"
#include "control/steering/events.hpp"
#include "control/steering/planner.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/snapshot.hpp"

struct rte_mbuf;
struct rte_mempool;

namespace wansteer {
struct WorkerContext;
}

namespace wansteer {

// What `wansteerctl show overlay` and the metrics report.
struct OverlayView {
  bool enabled = false;
  bool session = false;                // a current keypair: the overlay can carry traffic
  std::string hub;                     // "IPv4:port"
  std::string public_key;              // ours, base64 (what the hub's config names)
  int last_link = -1;                  // the link our last handshake message or keepalive left on
  uint64_t last_handshake_age_ms = 0;  // since the last completed handshake; 0 with none
  wg::SessionCounters counters;
  uint64_t sealed = 0, opened = 0, keepalives_in = 0, handshakes_in = 0;
  std::array<OverlayPathView, kMaxLinks>
      paths{};  // per link: probes through the tunnel (control/runtime/overlay_paths)
};

class OverlayControl {
 public:
  using SendFn = std::function<void(rte_mbuf* m, uint8_t pi)>;

  // hz: ticks per second of the times passed in (the control plane's clock).
  OverlayControl(rte_mempool* pool, SendFn send, EventLog& events, uint64_t hz);
  ~OverlayControl();

  // (Re)configures from the policy: keeps the running session when the overlay's keys and hub are unchanged,
  // starts a new one otherwise, none without an overlay. False with *error when the key cannot be read.
  bool configure(const Policy& policy, std::string* error);
  bool enabled() const { return session_ != nullptr; }

  // A handshake message from the hub (a frame the workers handed over, cp_reason kToControlOverlay) on `link`;
  // consumes it. The answer, if any, leaves on the same link. `snap`: the snapshot now in force.
  void on_handshake(rte_mbuf* m, uint8_t link, const DataplaneSnapshot& snap, uint64_t now);
  // A reply to a path probe (cp_reason kToControlOverlayProbe) on `link`; consumes it.
  void on_path_reply(rte_mbuf* m, uint8_t link, uint64_t now);
  // The workers' counters (summed): what was sealed, opened and dropped for lack of a key since the last call.
  void sample(const CounterTotals& totals, uint64_t now);
  // Timers: initiations, retries and keepalives leave on the first link that is alive (the next one on a retry).
  void tick(uint64_t now, const std::array<bool, kMaxLinks>& alive, const DataplaneSnapshot& snap);

  // The keys to publish (null without an overlay) and a number that moves whenever they change.
  const wg::PeerKeysView* keys() const { return session_ ? &session_->view() : nullptr; }
  uint64_t generation() const { return session_ ? session_->view_generation() + endpoints_.generation() : 0; }
  // A site peer's endpoint as learned (peer_source_word | link; 0: a hub, or not heard from yet), for the snapshot.
  uint64_t endpoint() const { return spec_.site_peer ? endpoints_.current() : 0; }
  uint64_t other_endpoint() const { return spec_.site_peer ? endpoints_.other() : 0; }  // its second link, recently
  // A site peer roams: the workers' records of where its transport messages came from (overlay_endpoints.hpp).
  void learn_endpoints(const std::vector<WorkerContext*>& workers, uint64_t now) {
    if (spec_.site_peer) endpoints_.read_cores(workers, ns(now));
  }
  // Links the overlay works over now: a current send key, the link alive and, while paths are probed, the path
  // through the tunnel over it answering (OverlayPaths::up: in its grace until probes were lost).
  std::array<bool, kMaxLinks> alive_over(const std::array<bool, kMaxLinks>& link_alive) const;
  // The overlay candidates' SLA verdicts from the paths' own figures (PlanInput::overlay_sla_ok), when probed.
  void judge_paths(PlanInput& in) const;
  OverlayView view(uint64_t now) const;

 private:
  uint64_t ns(uint64_t ticks) const;
  // to: the destination (peer_source_word), 0 for the snapshot's endpoint.
  void send_message(const uint8_t* msg, size_t len, uint8_t link, const DataplaneSnapshot& snap, uint64_t to = 0);
  void note_session_change();  // an event when the overlay gains or loses its send key
  bool keys_published(const DataplaneSnapshot& snap) const;

  rte_mempool* pool_;
  SendFn send_;
  EventLog& events_;
  uint64_t hz_;
  std::unique_ptr<wg::WgSession> session_;
  OverlaySpec spec_;
  CounterTotals last_{};
  bool had_session_ = false;
  std::vector<std::string> link_names_;
  int last_link_ = -1;
  unsigned retry_ = 0;
  uint16_t ip_id_ = 0;
  OverlayPaths paths_{pool_, send_, events_};  // after send_ and events_, which it refers to
  PeerEndpoints endpoints_;
  // A handshake answer that lets the hub use keys the workers do not have yet (our response: the hub then sends with
  // our next keypair; our confirming keepalive: with the new current one) waits for the snapshot that carries them,
  // so that the hub's first messages under them never meet a worker without the keys (overlay_unknown_index).
  std::array<uint8_t, wg::kSessionOutSize> held_{};
  size_t held_len_ = 0;
  uint8_t held_link_ = 0;
  uint64_t held_to_ = 0;  // a site peer's address it came from (0: the hub's endpoint)
};

}  // namespace wansteer
