// Classifier lookup (worker): fills the rte_acl search keys from PacketMeta on the stack and classifies a burst
// in one call per address family; ACL never reads packet bytes. The contexts are built in setup/classifier_build.cpp.
#include "dataplane/classify.hpp"

#include <cstring>

#include <rte_acl.h>
#include <rte_byteorder.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/classify_keys.hpp"
#include "dataplane/limits.hpp"

namespace wansteer {
namespace {

using namespace acl;

inline uint8_t l4_flag(const PacketMeta* m) {
  return (m->proto == kProtoTcp || m->proto == kProtoUdp) && !(m->flags & PacketMeta::kFlagLaterFragment);
}

}  // namespace

void Classifier::classify_burst(PacketMeta* const* metas, uint16_t n) const {
  // n <= kBurst by contract; larger bursts are handled in kBurst chunks rather than overrunning the stack keys.
  for (uint16_t base = 0; base < n; base += kBurst) {
    const uint16_t cnt = static_cast<uint16_t>(n - base < kBurst ? n - base : kBurst);
    Key4 k4[kBurst];
    Key6 k6[kBurst];
    const uint8_t* p4[kBurst];
    const uint8_t* p6[kBurst];
    PacketMeta* m4[kBurst];
    PacketMeta* m6[kBurst];
    uint32_t res[kBurst];
    uint16_t n4 = 0, n6 = 0;
    for (uint16_t i = 0; i < cnt; ++i) {
      PacketMeta* m = metas[base + i];
      if (m->l3 == static_cast<uint8_t>(L3::ipv4) && v4_) {
        Key4& k = k4[n4];
        k.proto = m->proto;
        k.pad[0] = k.pad[1] = k.pad[2] = 0;
        k.dscp = m->dscp;
        k.l4 = l4_flag(m);
        k.vlan = host_to_be16(m->vlan);
        std::memcpy(&k.src, m->src.data(), 4);
        std::memcpy(&k.dst, m->dst.data(), 4);
        k.sport = host_to_be16(m->sport);
        k.dport = host_to_be16(m->dport);
        p4[n4] = reinterpret_cast<const uint8_t*>(&k);
        m4[n4++] = m;
      } else if (m->l3 == static_cast<uint8_t>(L3::ipv6) && v6_) {
        Key6& k = k6[n6];
        k.proto = m->proto;
        k.pad[0] = k.pad[1] = k.pad[2] = 0;
        k.dscp = m->dscp;
        k.l4 = l4_flag(m);
        k.vlan = host_to_be16(m->vlan);
        std::memcpy(k.src, m->src.data(), 16);
        std::memcpy(k.dst, m->dst.data(), 16);
        k.sport = host_to_be16(m->sport);
        k.dport = host_to_be16(m->dport);
        p6[n6] = reinterpret_cast<const uint8_t*>(&k);
        m6[n6++] = m;
      } else {
        m->class_id = default_class_;  // ARP, or no rules for this family
      }
    }
    if (n4) {
      rte_acl_classify(v4_, p4, res, n4, 1);
      for (uint16_t i = 0; i < n4; ++i) m4[i]->class_id = res[i] ? static_cast<uint8_t>(res[i] - 1) : default_class_;
    }
    if (n6) {
      rte_acl_classify(v6_, p6, res, n6, 1);
      for (uint16_t i = 0; i < n6; ++i) m6[i]->class_id = res[i] ? static_cast<uint8_t>(res[i] - 1) : default_class_;
    }
  }
}

}  // namespace wansteer
