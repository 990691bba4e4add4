// Probes through the overlay per link: built, sealed with a counter reserved from the send keypair like a worker's,
// sent in the link's outer headers; replies matched back to the link they were sent over.
#include "control/runtime/overlay_paths.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "control/health/prober.hpp"
#include "dataplane/overlay/overlay_encap.hpp"
#include "dataplane/overlay/overlay_probe.hpp"
#include "dataplane/overlay/transport.hpp"
#include "dataplane/packet_meta.hpp"

namespace wansteer {

namespace {

constexpr uint32_t kOverlayProbeMagic = 0x77737470;  // "wstp": the payload, so a capture tells our probes apart
constexpr uint16_t kOverlayProbeInnerLen = sizeof(rte_ipv4_hdr) + sizeof(rte_icmp_hdr) + 8;
constexpr uint64_t kMsNs = 1'000'000;
constexpr double kFirstLinkLeadMs = 5;  // hold_first: how much later than the others the first link's probe arrives

// The inner ICMP echo request of link l's probe `seq` from `src` to `dst` (host order) at `out`.
void write_overlay_probe(uint8_t* out, uint32_t src, uint32_t dst, uint8_t l, uint16_t seq, uint16_t ip_id) {
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(out);
  std::memset(ip, 0, sizeof *ip);
  ip->version_ihl = RTE_IPV4_VHL_DEF;
  ip->total_length = rte_cpu_to_be_16(kOverlayProbeInnerLen);
  ip->packet_id = rte_cpu_to_be_16(ip_id);
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_ICMP;
  ip->src_addr = rte_cpu_to_be_32(src);
  ip->dst_addr = rte_cpu_to_be_32(dst);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto* icmp = reinterpret_cast<rte_icmp_hdr*>(ip + 1);
  icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
  icmp->icmp_code = 0;
  icmp->icmp_ident = rte_cpu_to_be_16(overlay_probe_icmp_id(l));
  icmp->icmp_seq_nb = rte_cpu_to_be_16(seq);
  const uint32_t payload[2] = {rte_cpu_to_be_32(kOverlayProbeMagic), rte_cpu_to_be_32(l)};
  std::memcpy(icmp + 1, payload, sizeof payload);
  icmp->icmp_cksum = 0;
  icmp->icmp_cksum = static_cast<uint16_t>(~rte_raw_cksum(icmp, sizeof(rte_icmp_hdr) + sizeof payload));
}

bool same_path_slas(const std::vector<Sla>& a, const std::vector<Sla>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Sla& x, const Sla& y) {
    return x.max_loss_pct == y.max_loss_pct && x.max_rtt_ms == y.max_rtt_ms && x.max_jitter_ms == y.max_jitter_ms;
  });
}

}  // namespace

bool OverlayPaths::LinkSetup::operator==(const LinkSetup& o) const {
  return health.interval_ms == o.health.interval_ms && health.loss_window == o.health.loss_window &&
         health.reply_timeout_ms == o.health.reply_timeout_ms && health.hold_down_ms == o.health.hold_down_ms &&
         health.min_samples == o.health.min_samples;
}

OverlayPaths::OverlayPaths(rte_mempool* pool, const SendFn& send, EventLog& events)
    : pool_(pool), send_(send), events_(events) {}

OverlayPaths::~OverlayPaths() = default;

void OverlayPaths::configure(const Policy& policy) {
  std::vector<LinkSetup> setup;
  for (size_t l = 0; l < policy.links.size() && l < kMaxLinks; l++) {
    LinkSetup s{health_config(policy.links[l].probe)};
    s.health.interval_ms = std::max(s.health.interval_ms, kMinIntervalMs);
    setup.push_back(s);
  }
  std::vector<Sla> slas;
  for (size_t c = 0; c < policy.classes.size() && c < kMaxClasses; c++) {
    const SlaSpec& s = policy.classes[c].sla;
    slas.push_back(Sla{s.max_loss_pct, s.max_rtt_ms, s.max_jitter_ms});
  }
  link_names_.clear();
  for (const auto& l : policy.links) link_names_.push_back(l.name);
  // A site peer (overlay: peer:) has no inner address of its own that answers: its paths are judged by their links
  // and the session, as before probing.
  hub_inner_ = policy.overlay.enabled && !policy.overlay.site_peer ? policy.overlay.hub_inner_address : 0;
  if (setup == setup_ && same_path_slas(slas, slas_) && paths_.size() == setup.size()) return;
  setup_ = std::move(setup);
  slas_ = std::move(slas);
  paths_.assign(setup_.size(), std::nullopt);
  for (size_t l = 0; l < setup_.size(); l++) paths_[l].emplace(setup_[l].health);
  carrying_ = {};
  was_up_.fill(true);  // paths start up (their grace): no event for that
  next_due_ns_ = {};
}

void OverlayPaths::tick(uint64_t now_ns, const std::array<bool, kMaxLinks>& carrying, const DataplaneSnapshot& snap,
                        const wg::TransportKeys* key) {
  probing_ = hub_inner_ != 0 && snap.n_lan > 0 && aead_.valid();
  // Links are probed in rounds, the first link in policy order last (hold_first): the hub answers (and sends
  // everything else) to the address it heard from last, so a round leaves it answering the first alive link, where
  // keepalives and rekeys go too. A link due joins the others' round once it is within half an interval of due (a link
  // back from an outage falls in step with the rest instead of moving the hub to itself between rounds).
  std::array<bool, kMaxLinks> in_round{};
  bool due = false;
  for (size_t i = 0; i < paths_.size(); i++) due = due || (carrying[i] && now_ns >= next_due_ns_[i]);
  for (size_t i = 0; i < paths_.size() && due && probing_ && key != nullptr; i++) {
    const uint64_t interval_ns = uint64_t{setup_[i].health.interval_ms} * kMsNs;
    in_round[i] = carrying[i] && next_due_ns_[i] <= now_ns + interval_ns / 2;
    if (in_round[i]) next_due_ns_[i] = now_ns + interval_ns;
  }
  if (deferred_ >= 0 && now_ns >= deferred_at_ns_) {  // the round's first link, held back until the others arrived
    const auto l = static_cast<size_t>(deferred_);
    deferred_ = -1;
    if (l < paths_.size() && carrying[l] && probing_ && key != nullptr)
      send_probe(static_cast<uint8_t>(l), snap, *key, now_ns);
  }
  const int held = hold_first(in_round, now_ns);
  for (size_t i = paths_.size(); i-- > 0;) {
    OverlayPathHealth& p = *paths_[i];
    if (carrying[i] && !carrying_[i]) p.grace();
    carrying_[i] = carrying[i];
    p.tick(now_ns);
    p.judge(slas_, now_ns);
    if (in_round[i] && static_cast<int>(i) != held) send_probe(static_cast<uint8_t>(i), snap, *key, now_ns);
    note_up_change(i);
  }
}

// Sent last is not enough for the first link's probe to arrive last: a backup line (LTE) is often slower than the
// fiber, and whichever arrives last is where the hub sends everything, data included, until the next message. So
// the first link's probe waits for the others' to arrive: the difference of the paths' RTTs (the one-way difference
// is about half of it: a margin) plus 5 ms, at most half an interval. Returns the link held back (-1: none).
int OverlayPaths::hold_first(const std::array<bool, kMaxLinks>& in_round, uint64_t now_ns) {
  int first = -1;
  double slowest_other_ms = 0;
  for (size_t i = 0; i < paths_.size(); i++) {
    if (!in_round[i]) continue;
    if (first < 0) {
      first = static_cast<int>(i);
      continue;
    }
    const LinkMetrics m = paths_[i]->metrics();
    slowest_other_ms = std::max(slowest_other_ms, m.has_rtt ? m.rtt_ms : 0.0);
  }
  if (first < 0 || std::none_of(in_round.begin() + first + 1, in_round.end(), [](bool b) { return b; })) return -1;
  const LinkMetrics own = paths_[static_cast<size_t>(first)]->metrics();
  const double lead_ms = std::max(0.0, slowest_other_ms - (own.has_rtt ? own.rtt_ms : 0.0)) + kFirstLinkLeadMs;
  const double cap_ms = setup_[static_cast<size_t>(first)].health.interval_ms / 2.0;
  deferred_ = first;
  deferred_at_ns_ = now_ns + static_cast<uint64_t>(std::min(lead_ms, cap_ms) * kMsNs);
  return first;
}

bool OverlayPaths::send_probe(uint8_t l, const DataplaneSnapshot& snap, const wg::TransportKeys& key, uint64_t now_ns) {
  if (l >= snap.n_links || !snap.overlay.enabled || !snap.links[l].gateway_resolved) return false;
  // A counter of its own from the keypair's shared counter, like a worker's block: never one a worker seals with.
  uint64_t counter = 0;
  if (!key.counter.reserve(1, &counter)) return false;
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return false;
  const size_t sealed = wg::sealed_size(kOverlayProbeInnerLen);
  auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, static_cast<uint16_t>(kOverlayOuterLen + sealed)));
  uint8_t inner[kOverlayProbeInnerLen];
  const uint16_t seq = paths_[l]->on_sent(now_ns);
  write_overlay_probe(inner, snap.lan[0].own_ip, hub_inner_, l, seq, ip_id_++);
  size_t msg_len = 0;
  if (frame == nullptr || wg::seal_transport_at(aead_, key.send_key, key.remote_index, counter, inner, sizeof inner,
                                                frame + kOverlayOuterLen, sealed, &msg_len) != wg::SealResult::ok) {
    rte_pktmbuf_free(m);  // counted as lost by the path: a probe that could not leave is no answer either
    return false;
  }
  overlay_encap_headers(snap.overlay, snap.links[l], frame, static_cast<uint16_t>(msg_len), ip_id_++, 0);
  send_(m, static_cast<uint8_t>(l + 1));
  return true;
}

void OverlayPaths::on_reply(rte_mbuf* m, uint64_t rx_ns) {
  const PacketMeta* meta = meta_of(m);
  if (meta->l4_offset + 8u > m->data_len) return;
  const auto* ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, meta->l3_offset);
  if (rte_be_to_cpu_32(ip->src_addr) != hub_inner_) return;  // only the hub's own answer measures the path
  const auto* icmp = rte_pktmbuf_mtod_offset(m, const rte_icmp_hdr*, meta->l4_offset);
  // The identifier names the link the request left on, whichever link the reply came back over.
  const int l = overlay_probe_link_of_id(rte_be_to_cpu_16(icmp->icmp_ident));
  if (l < 0 || static_cast<size_t>(l) >= paths_.size()) return;
  paths_[l]->on_reply(rte_be_to_cpu_16(icmp->icmp_seq_nb), rx_ns);
}

void OverlayPaths::note_up_change(size_t l) {
  const bool up = paths_[l]->up();
  if (up == was_up_[l]) return;
  was_up_[l] = up;
  if (!probing_) return;
  const LinkMetrics m = paths_[l]->metrics();
  Event e;
  e.kind = "overlay_path";
  e.link = l < link_names_.size() ? link_names_[l] : "";
  e.from = up ? "down" : "up";
  e.to = up ? "up" : "down";
  e.cause = up ? "answers" : "probe_timeout";  // answers: a reply, or the grace of a link or session come up
  e.loss_pct = m.loss_pct;
  e.rtt_ms = m.rtt_ms;
  e.jitter_ms = m.jitter_ms;
  events_.emit(std::move(e));
}

OverlayPathView OverlayPaths::view(size_t l) const {
  OverlayPathView v;
  if (l >= paths_.size() || !paths_[l]) return v;
  v.probing = probing_;
  // What an operator asks is whether the overlay works over the link now: not while the link cannot carry it.
  v.up = carrying_[l] && paths_[l]->up();
  v.metrics = paths_[l]->metrics();
  return v;
}

}  // namespace wansteer
