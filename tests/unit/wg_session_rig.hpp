// Two WgSession objects joined by byte queues on a fake clock, each with a stand-in for the workers (seal with the
// published send keypair and a counter lease, open with PeerReplayWindows, report to the session).
#pragma once

#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <vector>

#include "control/overlay/wg_session.hpp"
#include "control/overlay/x25519.hpp"
#include "dataplane/overlay/replay_windows.hpp"
#include "dataplane/overlay/transport.hpp"

namespace wansteer::test {

inline constexpr uint64_t kSessionStartNs = 1'000 * wg::kSecondNs;
inline constexpr uint64_t kSessionUnixNs = 1'700'000'000'000'000'000;

inline wg::Identity session_identity() {
  wg::Identity id;
  id.private_key = wg::generate_private_key();
  id.public_key = wg::public_key_of(id.private_key);
  return id;
}

using WireMessage = std::vector<uint8_t>;

// One side: the control thread's session and what its workers would do with the view.
struct SessionSide {
  wg::Identity id = session_identity();
  std::unique_ptr<wg::WgSession> session;
  wg::ChaChaPoly aead;
  wg::PeerReplayWindows windows;           // as a worker keeps them per core
  std::deque<WireMessage>* out = nullptr;  // towards the other side
  uint8_t source[6] = {};                  // this side's address and port as the other side sees them
  size_t sealed = 0, opened = 0, opened_previous = 0, keepalives = 0, no_key = 0;

  void start(const wg::Key& peer_public, const wg::SessionConfig& base = {}) {
    wg::SessionConfig c = base;
    c.peer = {id, peer_public, {}};
    bool ok = false;
    session = std::make_unique<wg::WgSession>(c, &ok);
    REQUIRE(ok);
  }
  // A data packet from the LAN into the tunnel; false when there is no key (the session is asked for one).
  bool send_data(uint64_t now) {
    const auto& keys = session->view().send;
    if (!keys) {
      no_key++;
      session->want_keys(now);
      return false;
    }
    wg::CounterLease lease;
    uint64_t counter = 0;
    uint8_t inner[40] = {0x45};
    WireMessage m(wg::sealed_size(sizeof inner));
    size_t len = 0;
    REQUIRE(lease.take(keys->counter, &counter));
    REQUIRE(wg::seal_transport_at(aead, keys->send_key, keys->remote_index, counter, inner, sizeof inner, m.data(),
                                  m.size(), &len) == wg::SealResult::ok);
    out->push_back(std::move(m));
    sealed++;
    session->on_sent(true, now);
    return true;
  }
  void emit(const uint8_t* msg, size_t len) {
    if (len > 0) out->emplace_back(msg, msg + len);
  }
  void tick(uint64_t now) {
    uint8_t msg[wg::kSessionOutSize];
    size_t len = 0;
    session->tick(now, kSessionUnixNs + now, 0, msg, &len);
    emit(msg, len);
  }
  // A message from the other side, whose address is from.
  void receive(const WireMessage& m, const uint8_t* from, uint64_t now) {
    if (m.empty()) return;
    if (m[0] != static_cast<uint8_t>(wg::MessageType::transport)) {
      uint8_t reply[wg::kSessionOutSize];
      size_t len = 0;
      session->handle_handshake(m.data(), m.size(), wg::Bytes(from, 6), now, reply, &len);
      return emit(reply, len);
    }
    const wg::PeerKeysView& view = session->view();
    const wg::TransportKeys* k = view.receiving(wg::get_le32(m.data() + wg::transport::kReceiver));
    if (k == nullptr) return;
    uint8_t back[128];
    size_t back_len = 0;
    if (wg::open_transport_with(aead, k->recv_key, k->local_index, windows.window_for(*k, view), m.data(), m.size(),
                                back, sizeof back, &back_len) != wg::OpenResult::ok)
      return;
    (back_len > 0 ? opened : keepalives)++;
    if (back_len > 0 && view.receive[wg::PeerKeysView::kPrevious].get() == k) opened_previous++;
    session->on_received(k->local_index, back_len > 0, now);
  }
};

// a and b, each knowing the other's public key; messages in flight wait in the two queues until delivered.
struct SessionPair {
  SessionSide a, b;
  std::deque<WireMessage> a_to_b, b_to_a;
  uint64_t now = kSessionStartNs;

  explicit SessionPair(const wg::SessionConfig& config = {}) {
    a.start(b.id.public_key, config);
    b.start(a.id.public_key, config);
    a.out = &a_to_b, b.out = &b_to_a;
    a.source[0] = 10, a.source[3] = 1, b.source[0] = 10, b.source[3] = 2;
  }
  // Delivers what is in flight now (not what the deliveries make in answer).
  void deliver_in_flight() {
    auto to_b = std::move(a_to_b);
    auto to_a = std::move(b_to_a);
    a_to_b.clear(), b_to_a.clear();
    for (const auto& m : to_b) b.receive(m, a.source, now);
    for (const auto& m : to_a) a.receive(m, b.source, now);
  }
  void deliver_all() {
    for (int i = 0; i < 10 && !(a_to_b.empty() && b_to_a.empty()); i++) deliver_in_flight();
  }
  void tick() {
    a.tick(now);
    b.tick(now);
  }
  // Both send a data packet every step_ns, steps times; what one step sends arrives in the next (in flight
  // meanwhile). Then, one step later, everything in flight is delivered.
  void exchange_data(int steps, uint64_t step_ns) {
    for (int step = 0; step < steps; step++) {
      now += step_ns;
      deliver_in_flight();
      REQUIRE(a.send_data(now));
      REQUIRE(b.send_data(now));
      tick();
    }
    now += step_ns;
    deliver_all();
  }
  // a asks for keys, and the handshake and a's confirming keepalive go through.
  void handshake() {
    a.session->want_keys(now);
    tick();
    deliver_all();
  }
};

}  // namespace wansteer::test
