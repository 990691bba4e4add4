// The overlay session on the control thread: handshake frames in from the workers, handshake messages and keepalives
// out through a link, the workers' counters turned into the session's timer events.
#include "control/runtime/overlay_control.hpp"

#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include "control/common/addr_format.hpp"
#include "control/overlay/private_key_file.hpp"
#include "control/overlay/x25519.hpp"
#include "dataplane/drop_reasons.hpp"
#include "dataplane/overlay/overlay_encap.hpp"
#include "dataplane/overlay/peer_source.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/rx_timestamp.hpp"

namespace wansteer {

namespace {

constexpr uint64_t kPersistentKeepaliveNs = 25 * wg::kSecondNs;  // keeps NAT mappings on the way to the hub open
constexpr uint64_t kMaxJitterNs = wg::kSecondNs / 3;

bool same_overlay(const OverlaySpec& a, const OverlaySpec& b) {
  return a.enabled == b.enabled && a.private_key_file == b.private_key_file && a.public_key == b.public_key &&
         a.hub_public_key == b.hub_public_key && a.hub_address == b.hub_address && a.hub_port == b.hub_port &&
         a.listen_port == b.listen_port && a.site_peer == b.site_peer;
}

uint64_t unix_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * wg::kSecondNs + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

OverlayControl::OverlayControl(rte_mempool* pool, SendFn send, EventLog& events, uint64_t hz)
    : pool_(pool), send_(std::move(send)), events_(events), hz_(hz) {}

OverlayControl::~OverlayControl() = default;

uint64_t OverlayControl::ns(uint64_t ticks) const {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(ticks) * wg::kSecondNs / hz_);
}

bool OverlayControl::configure(const Policy& policy, std::string* error) {
  link_names_.clear();
  for (const auto& l : policy.links) link_names_.push_back(l.name);
  paths_.configure(policy);
  if (!policy.overlay.enabled) {
    session_.reset();
    spec_ = {};
    return true;
  }
  if (session_ && same_overlay(spec_, policy.overlay)) {
    session_->set_rekey_after(policy.overlay.rekey_after_s * wg::kSecondNs);  // a lab knob: no new session for it
    spec_.rekey_after_s = policy.overlay.rekey_after_s;
    return true;
  }
  std::string why;
  auto key = wg::read_private_key_file(policy.overlay.private_key_file, &why);
  if (!key) {
    *error = "overlay: " + why;
    return false;
  }
  wg::SessionConfig config;
  config.peer.local.private_key = *key;
  config.peer.local.public_key = wg::public_key_of(*key);
  config.peer.peer_public = policy.overlay.hub_public_key;
  config.persistent_keepalive_ns = kPersistentKeepaliveNs;
  config.rekey_after_ns = policy.overlay.rekey_after_s * wg::kSecondNs;
  key->fill(0);
  bool ok = true;
  auto session = std::make_unique<wg::WgSession>(config, &ok);
  config.peer.local.private_key.fill(0);
  if (!ok) {
    *error = "overlay: cannot set up the WireGuard handshake (libcrypto)";
    return false;
  }
  session_ = std::move(session);
  spec_ = policy.overlay;
  endpoints_.reset(spec_.hub_address == 0 ? 0 : peer_source_word(spec_.hub_address, spec_.hub_port));
  held_len_ = 0;
  had_session_ = false;
  retry_ = 0;
  return true;
}

void OverlayControl::send_message(const uint8_t* msg, size_t len, uint8_t link, const DataplaneSnapshot& snap,
                                  uint64_t to) {
  if (link >= snap.n_links || !snap.overlay.enabled || !snap.links[link].gateway_resolved) return;
  if (to == 0 && snap.overlay.hub_ip == 0) return;  // a site peer with no endpoint: we wait for it to call
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return;
  auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(kOverlayOuterLen + len)));
  if (frame == nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  OverlayConfig dest;  // only what the outer headers need: a reply goes back where its message came from
  dest.hub_ip = to != 0 ? peer_source_ip(to) : snap.overlay.hub_ip;
  dest.hub_port = to != 0 ? peer_source_port(to) : snap.overlay.hub_port;
  dest.local_port = snap.overlay.local_port;
  overlay_encap_headers(dest, snap.links[link], frame, static_cast<uint16_t>(len), ip_id_++, 0);
  std::memcpy(frame + kOverlayOuterLen, msg, len);
  last_link_ = link;
  send_(m, static_cast<uint8_t>(link + 1));
}

void OverlayControl::on_handshake(rte_mbuf* m, uint8_t link, const DataplaneSnapshot& snap, uint64_t now) {
  if (!session_ || m->data_len < kOverlayOuterLen) {
    rte_pktmbuf_free(m);
    return;
  }
  const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
  const size_t ihl = size_t{frame[kOverlayEthLen] & 0x0fu} * 4;
  const size_t msg_at = kOverlayEthLen + ihl + kOverlayUdpLen;
  uint8_t source[6];  // the hub's address and port, as cookies bind them
  std::memcpy(source, frame + kOverlayEthLen + 12, 4);
  std::memcpy(source + 4, frame + kOverlayEthLen + ihl, 2);
  uint8_t out[wg::kSessionOutSize];
  size_t out_len = 0;
  auto outcome = wg::HandshakeOutcome::ignored;
  if (msg_at < m->data_len)
    outcome = session_->handle_handshake(frame + msg_at, m->data_len - msg_at, wg::Bytes(source, sizeof source),
                                         ns(now), out, &out_len);
  rte_pktmbuf_free(m);
  const uint32_t from_ip = uint32_t{source[0]} << 24 | uint32_t{source[1]} << 16 | uint32_t{source[2]} << 8 | source[3];
  const uint64_t from = peer_source_word(from_ip, static_cast<uint16_t>(source[4] << 8 | source[5])) | link;
  const bool authentic = outcome == wg::HandshakeOutcome::responded || outcome == wg::HandshakeOutcome::completed;
  if (spec_.site_peer && authentic) endpoints_.heard(from, ns(now));
  const uint64_t to = spec_.site_peer ? from : 0;
  if (out_len > 0 && !keys_published(snap)) {
    std::memcpy(held_.data(), out, out_len);  // sent by tick() once the snapshot carries the new keys
    held_len_ = out_len, held_link_ = link, held_to_ = to;
  } else if (out_len > 0) {
    send_message(out, out_len, link, snap, to);
  }
  note_session_change();
}

bool OverlayControl::keys_published(const DataplaneSnapshot& snap) const {
  const wg::PeerKeysView& v = session_->view();
  return snap.overlay.keys.send == v.send && snap.overlay.keys.receive == v.receive;
}

void OverlayControl::on_path_reply(rte_mbuf* m, uint8_t link, uint64_t now) {
  (void)link;  // the link of the request is in the probe's identifier: the hub answers where it heard from last
  const uint64_t rx = rx_tsc(m);
  if (session_) paths_.on_reply(m, ns(rx != 0 ? rx : now));
  rte_pktmbuf_free(m);
}

void OverlayControl::sample(const CounterTotals& t, uint64_t now) {
  if (!session_) {
    last_ = t;
    return;
  }
  const uint64_t now_ns = ns(now);
  const wg::PeerKeysView& v = session_->view();
  if (t.overlay_sealed != last_.overlay_sealed) session_->on_sent(true, now_ns);
  const bool data_in = t.overlay_opened != last_.overlay_opened;
  if (data_in || t.overlay_keepalives_in != last_.overlay_keepalives_in) {
    // A responder's "next" keypair is confirmed by the first message opened with it; else the current one heard.
    const auto& next = v.receive[wg::PeerKeysView::kNext];
    if (next && next->opened.load(std::memory_order_relaxed))
      session_->on_received(next->local_index, data_in, now_ns);
    else if (v.send)
      session_->on_received(v.send->local_index, data_in, now_ns);
  }
  const auto no_key = static_cast<size_t>(DropReason::overlay_no_key);
  const auto exhausted = static_cast<size_t>(DropReason::overlay_key_exhausted);
  if (t.drop[no_key] != last_.drop[no_key] || t.drop[exhausted] != last_.drop[exhausted]) session_->want_keys(now_ns);
  last_ = t;
  note_session_change();
}

void OverlayControl::tick(uint64_t now, const std::array<bool, kMaxLinks>& alive, const DataplaneSnapshot& snap) {
  if (!session_) return;
  if (held_len_ > 0 && keys_published(snap)) {  // a control loop after the handshake: 1 ms
    send_message(held_.data(), held_len_, held_link_, snap, held_to_);
    held_len_ = 0;
  }
  uint8_t alive_links[kMaxLinks];
  uint8_t n = 0;
  for (uint8_t l = 0; l < snap.n_links && l < kMaxLinks; l++)
    if (alive[l] && snap.links[l].gateway_resolved) alive_links[n++] = l;
  const uint64_t now_ns = ns(now);
  // No handshake starts while no link can carry it: the first initiation leaves as soon as one can.
  if (n != 0) session_->keep_keys_fresh(now_ns);
  uint8_t out[wg::kSessionOutSize];
  size_t out_len = 0;
  session_->tick(now_ns, unix_now_ns(), rte_rand() % kMaxJitterNs, out, &out_len);
  note_session_change();
  std::array<bool, kMaxLinks> carrying{};
  for (uint8_t i = 0; i < n; i++) carrying[alive_links[i]] = session_->view().send != nullptr;
  paths_.tick(now_ns, carrying, snap, session_->view().send.get());
  if (out_len == 0 || n == 0) return;
  // An initiation without a session yet is a retry after the first: it goes out on the next alive link, so a hub
  // unreachable over one line is tried over the others. Rekeys and keepalives take the first alive link in policy
  // order.
  const bool retry = out[0] == static_cast<uint8_t>(wg::MessageType::initiation) && !session_->view().send;
  send_message(out, out_len, alive_links[retry ? retry_++ % n : 0], snap);
}

void OverlayControl::note_session_change() {
  const bool has = session_ && session_->view().send != nullptr;
  if (has == had_session_) return;
  had_session_ = has;
  if (has) retry_ = 0;
  Event e;
  e.kind = "overlay";
  e.link = last_link_ >= 0 && static_cast<size_t>(last_link_) < link_names_.size() ? link_names_[last_link_] : "";
  e.from = has ? "down" : "up";
  e.to = has ? "up" : "down";
  e.cause = has ? "handshake_completed" : "keys_expired";
  events_.emit(std::move(e));
}

std::array<bool, kMaxLinks> OverlayControl::alive_over(const std::array<bool, kMaxLinks>& link_alive) const {
  std::array<bool, kMaxLinks> a{};
  if (!session_ || !session_->view().send) return a;
  for (size_t l = 0; l < kMaxLinks; l++) a[l] = link_alive[l] && (!paths_.probing() || paths_.up(l));
  return a;
}

void OverlayControl::judge_paths(PlanInput& in) const {
  in.overlay_probed = session_ != nullptr && paths_.probing();
  if (!in.overlay_probed) return;
  for (size_t c = 0; c < kMaxClasses; c++)
    for (size_t l = 0; l < kMaxLinks; l++) in.overlay_sla_ok[c][l] = paths_.sla_ok(c, l);
}

OverlayView OverlayControl::view(uint64_t now) const {
  OverlayView v;
  if (!session_) return v;
  v.enabled = true;
  v.session = session_->view().send != nullptr;
  const uint64_t ep = endpoint();
  v.hub = spec_.site_peer && ep == 0 ? "(not heard from yet)"
          : spec_.site_peer          ? fmt::format("{}:{}", ipv4_str(peer_source_ip(ep)), peer_source_port(ep))
                                     : fmt::format("{}:{}", ipv4_str(spec_.hub_address), spec_.hub_port);
  v.public_key = wg::key_to_base64(spec_.public_key);
  v.last_link = last_link_;
  const uint64_t hs = session_->last_handshake_ns();
  v.last_handshake_age_ms = hs == 0 ? 0 : (ns(now) - hs) / 1'000'000;
  v.counters = session_->counters();
  v.sealed = last_.overlay_sealed;
  v.opened = last_.overlay_opened;
  v.keepalives_in = last_.overlay_keepalives_in;
  v.handshakes_in = last_.overlay_handshakes_in;
  for (size_t l = 0; l < kMaxLinks; l++) v.paths[l] = paths_.view(l);
  return v;
}

}  // namespace wansteer
