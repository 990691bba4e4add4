// The rte_acl search keys (one per address family) and their field numbering: the layout the classifier's
// build (dataplane/setup/classifier_build.cpp) describes to rte_acl and the per-packet lookup (classify.cpp) fills.
#pragma once
#include <cstdint>

namespace wansteer::acl {

// rte_acl reads the first field as one byte, then every further input_index as 4 consecutive bytes,
// so after `proto` the key is laid out in 4-byte groups. rte_acl compares the key in network byte
// order (MSB first) against rule values given in host order: multi-byte key fields are stored big-endian.
// `l4` is 1 when the packet carries TCP/UDP ports (not a later fragment): rules with port ranges require
// it, so they never match ICMP or other protocols, nor later fragments whose ports read as 0. This replaces
// expanding "any protocol + ports" into a TCP and a UDP rule. Consequence: the later fragments of a flow skip
// port rules and may land in another class than its first fragment (accepted for now).
struct Key4 {
  uint8_t proto;  // idx 0
  uint8_t pad[3];
  uint8_t dscp;    // idx 1
  uint8_t l4;      // idx 1
  uint16_t vlan;   // idx 1, big-endian
  uint32_t src;    // idx 2, as on the wire
  uint32_t dst;    // idx 3
  uint16_t sport;  // idx 4, big-endian
  uint16_t dport;  // idx 4
};
static_assert(sizeof(Key4) == 20);

struct Key6 {
  uint8_t proto;  // idx 0
  uint8_t pad[3];
  uint8_t dscp;     // idx 1
  uint8_t l4;       // idx 1
  uint16_t vlan;    // idx 1
  uint8_t src[16];  // idx 2..5
  uint8_t dst[16];  // idx 6..9
  uint16_t sport;   // idx 10
  uint16_t dport;   // idx 10
};
static_assert(sizeof(Key6) == 44);

enum Field4 { F4_PROTO, F4_DSCP, F4_L4, F4_VLAN, F4_SRC, F4_DST, F4_SPORT, F4_DPORT, F4_NUM };
enum Field6 {
  F6_PROTO,
  F6_DSCP,
  F6_L4,
  F6_VLAN,
  F6_SRC0,
  F6_SRC1,
  F6_SRC2,
  F6_SRC3,
  F6_DST0,
  F6_DST1,
  F6_DST2,
  F6_DST3,
  F6_SPORT,
  F6_DPORT,
  F6_NUM
};

inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;

}  // namespace wansteer::acl
