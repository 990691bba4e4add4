// Per (class, link) trTCM meter (rte_meter, RFC 2698) and DSCP re-marking. Runs on the link's owner worker only.
#include "dataplane/meter.hpp"

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "dataplane/byte_order.hpp"

namespace wansteer {

void meter_configure(ClassMeter& m, const MeterProfile& p, uint64_t now_tsc) {
  m.generation = p.generation;
  m.mode = p.mode;
  if (p.mode != MeterMode::limit) return;
  rte_meter_trtcm_params params{};
  params.cir = p.cir;
  params.cbs = p.cbs;
  params.pir = p.has_peak ? p.pir : p.cir;
  params.pbs = p.has_peak ? p.pbs : p.cbs;
  // Control validated the values; if DPDK still refuses them, pass traffic rather than drop everything.
  if (rte_meter_trtcm_profile_config(&m.profile, &params) != 0 || rte_meter_trtcm_config(&m.state, &m.profile) != 0) {
    m.mode = MeterMode::unlimited;
    return;
  }
  // rte_meter_trtcm_config stamps the wall-clock TSC; use the caller's clock so tests can inject time.
  m.state.time_tc = now_tsc;
  m.state.time_tp = now_tsc;
}

MeterVerdict meter_packet_slow(ClassMeter& m, const MeterProfile& p, rte_mbuf* pkt, uint64_t now_tsc) {
  if (m.generation != p.generation) meter_configure(m, p, now_tsc);
  if (m.mode == MeterMode::unlimited) return MeterVerdict::conform;
  if (m.mode == MeterMode::block) return MeterVerdict::blocked;
  if (m.mode == MeterMode::budget) return MeterVerdict::budget;
  rte_color c = rte_meter_trtcm_color_blind_check(&m.state, &m.profile, now_tsc, pkt->pkt_len);
  if (c == RTE_COLOR_GREEN) return MeterVerdict::conform;
  // Without a peak rate both buckets are the same, so every excess packet is red and gets the exceed action.
  // With a peak rate, yellow (between committed and peak) gets the exceed action and red is always dropped.
  if (c == RTE_COLOR_RED && p.has_peak) return MeterVerdict::exceed;
  if (p.exceed == ExceedAction::remark) {
    set_dscp(pkt, meta_of(pkt), p.remark_dscp);
    return MeterVerdict::remarked;
  }
  return MeterVerdict::exceed;
}

void set_dscp(rte_mbuf* m, const PacketMeta* meta, uint8_t dscp) {
  if (meta->l3 == static_cast<uint8_t>(L3::ipv4)) {
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, meta->l3_offset);
    const uint8_t tos = static_cast<uint8_t>((dscp << 2) | (ip->type_of_service & 0x3));
    if (tos == ip->type_of_service) return;
    // The first header word is version/IHL (high byte) and TOS (low byte): HC' = ~(~HC + ~m + m').
    const uint16_t old_word = static_cast<uint16_t>((ip->version_ihl << 8) | ip->type_of_service);
    const uint16_t new_word = static_cast<uint16_t>((ip->version_ihl << 8) | tos);
    uint32_t sum = static_cast<uint16_t>(~be_to_host16(ip->hdr_checksum));
    sum += static_cast<uint16_t>(~old_word);
    sum += new_word;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    ip->hdr_checksum = host_to_be16(static_cast<uint16_t>(~sum));
    ip->type_of_service = tos;
  } else if (meta->l3 == static_cast<uint8_t>(L3::ipv6)) {
    auto* ip6 = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, meta->l3_offset);
    // version (4 bits) | traffic class (8: DSCP 6 + ECN 2) | flow label (20)
    uint32_t v = be_to_host32(ip6->vtc_flow);
    v = (v & ~(uint32_t{0x3f} << 22)) | (uint32_t{dscp & 0x3fu} << 22);
    ip6->vtc_flow = host_to_be32(v);
  }
}

}  // namespace wansteer
