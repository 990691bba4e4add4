// Checking datagrams from the hub, opening WireGuard transport messages in place, stripping them to the inner packet.
#include "dataplane/overlay/overlay_decap.hpp"

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/overlay/transport.hpp"

namespace wansteer {
namespace {

// duplicate: an authentic second copy of a message already opened (duplicate: over two links, one counter);
// copy: the same from a site peer with its counter among the newest, whose outer source is kept as well.
enum class DecapOutcome : uint8_t { inner, handshake, keepalive, duplicate, copy, drop };

constexpr uint64_t kCopyRecent = 64;  // a copy within this many counters of the newest opened is a live duplicate

// Where the WireGuard message of a frame lies, once its outer headers checked out.
struct OuterView {
  uint8_t* msg = nullptr;
  uint16_t msg_off = 0;  // from the frame start
  uint16_t msg_len = 0;
  uint64_t source = 0;  // the outer source (peer_source_word)
};

// Checks Ethernet, IPv4 and UDP of a datagram from the hub to us on link; false with *reason otherwise.
bool check_outer(const OverlayConfig& ov, const LinkConfig& link, rte_mbuf* m, OuterView* v, DropReason* reason) {
  *reason = DropReason::overlay_malformed;
  const uint16_t avail = m->data_len;
  if (m->nb_segs != 1 || avail < kOverlayOuterLen) return false;
  auto* frame = rte_pktmbuf_mtod(m, uint8_t*);
  const auto* eth = reinterpret_cast<const rte_ether_hdr*>(frame);
  if (eth->ether_type != host_to_be16(RTE_ETHER_TYPE_IPV4)) return false;
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(frame + kOverlayEthLen);
  const uint16_t ihl = rte_ipv4_hdr_len(ip);
  const uint16_t total = be_to_host16(ip->total_length);
  if ((ip->version_ihl >> 4) != 4 || ihl < kOverlayIpLen || total < ihl + kOverlayUdpLen ||
      kOverlayEthLen + total > avail || ip->next_proto_id != IPPROTO_UDP ||
      (ip->fragment_offset & host_to_be16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0 ||
      rte_raw_cksum(ip, ihl) != 0xffff)
    return false;
  const auto* udp = reinterpret_cast<const rte_udp_hdr*>(frame + kOverlayEthLen + ihl);
  const uint16_t udp_len = be_to_host16(udp->dgram_len);
  if (udp_len != total - ihl) return false;
  // A site peer roams: whatever source its key authenticates is its endpoint (recorded once a message opens).
  const bool from_peer =
      ov.site || (be_to_host32(ip->src_addr) == ov.hub_ip && be_to_host16(udp->src_port) == ov.hub_port);
  if (!from_peer || be_to_host32(ip->dst_addr) != link.own_ip || be_to_host16(udp->dst_port) != ov.local_port) {
    *reason = DropReason::overlay_unknown_peer;
    return false;
  }
  v->source = peer_source_word(be_to_host32(ip->src_addr), be_to_host16(udp->src_port));
  v->msg_off = static_cast<uint16_t>(kOverlayEthLen + ihl + kOverlayUdpLen);
  v->msg = frame + v->msg_off;
  v->msg_len = static_cast<uint16_t>(udp_len - kOverlayUdpLen);
  return true;
}

DropReason open_failure(wg::OpenResult r) {
  switch (r) {
    case wg::OpenResult::replayed:
      return DropReason::overlay_replayed;
    case wg::OpenResult::bad_tag:
      return DropReason::overlay_bad_tag;
    case wg::OpenResult::wrong_index:
      return DropReason::overlay_unknown_index;
    default:
      return DropReason::overlay_malformed;
  }
}

// A site peer's authentic copy of a message already opened (duplicate: over its other link), with its counter among
// the newest (not a replay of an old capture), still tells where the peer can be reached: a second endpoint for our
// own copies, never the endpoint itself (WireGuard's rule: the first to open). The tag was verified by the open.
bool live_copy(const OverlayConfig& ov, const wg::ReplayWindow& window, const OuterView& v) {
  return ov.site && wg::get_le64(v.msg + wg::transport::kCounter) + 1 + kCopyRecent >= window.next();
}

// Opens the transport message at v in place and strips m to its inner IPv4 packet.
DecapOutcome open_one(OverlayCore& core, const OverlayConfig& ov, rte_mbuf* m, const OuterView& v, DropReason* reason) {
  if (v.msg_len < wg::kTransportHeaderSize + wg::kTagSize || v.msg[1] != 0 || v.msg[2] != 0 || v.msg[3] != 0)
    return *reason = DropReason::overlay_malformed, DecapOutcome::drop;
  const wg::TransportKeys* k = ov.keys.receiving(wg::get_le32(v.msg + wg::transport::kReceiver));
  if (k == nullptr) return *reason = DropReason::overlay_unknown_index, DecapOutcome::drop;
  uint8_t* payload = v.msg + wg::transport::kPayload;
  size_t len = 0;
  wg::ReplayWindow& window = core.windows.window_for(*k, ov.keys);
  const wg::OpenResult r = wg::open_transport_with(core.aead, k->recv_key, k->local_index, window, v.msg, v.msg_len,
                                                   payload, v.msg_len - wg::kTransportHeaderSize - wg::kTagSize, &len);
  // The second copy of a duplicated packet: expected, so counted apart from drops. Caught only when both copies reach
  // this core's window; see overlay_decap.hpp.
  if (r == wg::OpenResult::duplicate) return live_copy(ov, window, v) ? DecapOutcome::copy : DecapOutcome::duplicate;
  if (r != wg::OpenResult::ok) return *reason = open_failure(r), DecapOutcome::drop;
  if (!k->opened.load(std::memory_order_relaxed)) k->opened.store(true, std::memory_order_relaxed);
  if (len == 0) return DecapOutcome::keepalive;
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(payload);
  const uint16_t total = len >= sizeof(rte_ipv4_hdr) ? be_to_host16(ip->total_length) : 0;
  if (len < sizeof(rte_ipv4_hdr) || (ip->version_ihl >> 4) != 4 || total < rte_ipv4_hdr_len(ip) || total > len)
    return *reason = DropReason::overlay_inner_malformed, DecapOutcome::drop;
  if (!overlay_allows(ov, be_to_host32(ip->src_addr)))
    return *reason = DropReason::overlay_source_not_allowed, DecapOutcome::drop;
  rte_pktmbuf_adj(m, static_cast<uint16_t>(v.msg_off + wg::kTransportHeaderSize));
  rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - total));
  return DecapOutcome::inner;
}

// *source: the outer source of m once its outer headers checked out (kept only if the message authenticates).
DecapOutcome decap_one(OverlayCore& core, const OverlayConfig& ov, const LinkConfig& link, rte_mbuf* m,
                       DropReason* reason, uint64_t* source) {
  OuterView v;
  if (!check_outer(ov, link, m, &v, reason)) return DecapOutcome::drop;
  *source = v.source;
  if (v.msg_len < 4) return *reason = DropReason::overlay_malformed, DecapOutcome::drop;
  const uint8_t type = v.msg[0];
  if (type == static_cast<uint8_t>(wg::MessageType::initiation) ||
      type == static_cast<uint8_t>(wg::MessageType::response) ||
      type == static_cast<uint8_t>(wg::MessageType::cookie_reply))
    return DecapOutcome::handshake;
  if (type != static_cast<uint8_t>(wg::MessageType::transport))
    return *reason = DropReason::overlay_malformed, DecapOutcome::drop;
  return open_one(core, ov, m, v, reason);
}

}  // namespace

OverlayDecapResult overlay_decap_burst(OverlayCore& core, const OverlayConfig& ov, const LinkConfig& link,
                                       rte_mbuf** pkts, uint16_t n, rte_mbuf** inner, rte_mbuf** handshakes,
                                       WorkerCounters& c, uint8_t pi) {
  OverlayDecapResult r;
  uint64_t keepalives = 0, duplicates = 0;
  uint64_t authenticated = 0;  // the outer source of the burst's last message opened (peer_source_word), 0: none
  uint64_t copied = 0;         // the same for a site peer's live copy (DecapOutcome::copy)
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf* m = pkts[i];
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    DropReason reason = DropReason::overlay_malformed;
    uint64_t source = 0;
    switch (decap_one(core, ov, link, m, &reason, &source)) {
      case DecapOutcome::inner:
        inner[r.inner++] = m;
        authenticated = source;
        break;
      case DecapOutcome::handshake:
        handshakes[r.handshakes++] = m;
        break;
      case DecapOutcome::keepalive:
        keepalives++;
        authenticated = source;
        rte_pktmbuf_free(m);
        break;
      case DecapOutcome::copy:
        copied = source;
        [[fallthrough]];
      case DecapOutcome::duplicate:
        duplicates++;
        rte_pktmbuf_free(m);
        break;
      case DecapOutcome::drop:
        overlay_drop(c, m, pi, reason);
        break;
    }
  }
  if (authenticated != 0) core.seen.record(authenticated | static_cast<uint64_t>(pi - 1));
  if (copied != 0) core.seen.record_copy(copied | static_cast<uint64_t>(pi - 1));
  c.overlay_opened.add(r.inner);
  c.overlay_keepalives_in.add(keepalives);
  c.overlay_duplicates_discarded.add(duplicates);
  c.overlay_handshakes_in.add(r.handshakes);
  return r;
}

}  // namespace wansteer
