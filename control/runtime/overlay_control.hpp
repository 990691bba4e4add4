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
#include "control/steering/events.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/snapshot.hpp"

struct rte_mbuf;
struct rte_mempool;

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
  // The workers' counters (summed): what was sealed, opened and dropped for lack of a key since the last call.
  void sample(const CounterTotals& totals, uint64_t now);
  // Timers: initiations, retries and keepalives leave on the first link that is alive (the next one on a retry).
  void tick(uint64_t now, const std::array<bool, kMaxLinks>& alive, const DataplaneSnapshot& snap);

  // The keys to publish (null without an overlay) and a number that moves whenever they change.
  const wg::PeerKeysView* keys() const { return session_ ? &session_->view() : nullptr; }
  uint64_t generation() const { return session_ ? session_->view_generation() : 0; }
  // Links the overlay works over now: a current send key and the link alive.
  std::array<bool, kMaxLinks> alive_over(const std::array<bool, kMaxLinks>& link_alive) const;
  OverlayView view(uint64_t now) const;

 private:
  uint64_t ns(uint64_t ticks) const;
  void send_message(const uint8_t* msg, size_t len, uint8_t link, const DataplaneSnapshot& snap);
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
  // A handshake answer that lets the hub use keys the workers do not have yet (our response: the hub then sends with
  // our next keypair; our confirming keepalive: with the new current one) waits for the snapshot that carries them,
  // so that the hub's first messages under them never meet a worker without the keys (overlay_unknown_index).
  std::array<uint8_t, wg::kSessionOutSize> held_{};
  size_t held_len_ = 0;
  uint8_t held_link_ = 0;
};

}  // namespace wansteer
