// Classifier build (control thread): compiles the policy's ClassRules into two rte_acl contexts (IPv4, IPv6)
// and frees them again; the per-packet lookup over those contexts is dataplane/classify.cpp.
#include <atomic>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <type_traits>

#include <fmt/format.h>
#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/classify.hpp"
#include "dataplane/classify_keys.hpp"
#include "dataplane/limits.hpp"

namespace wansteer {
namespace {

using namespace acl;

RTE_ACL_RULE_DEF(Rule4, F4_NUM);
RTE_ACL_RULE_DEF(Rule6, F6_NUM);

constexpr uint32_t kMaxAclRulesPerFamily = 100000;  // keeps build time and memory bounded

rte_acl_field_def field(uint8_t type, uint8_t size, uint8_t index, uint8_t input, uint32_t offset) {
  rte_acl_field_def d{};
  d.type = type;
  d.size = size;
  d.field_index = index;
  d.input_index = input;
  d.offset = offset;
  return d;
}

// Fields shared by both families: proto, dscp, l4 flag, vlan.
void common_defs(rte_acl_config& cfg, size_t dscp_off, size_t l4_off, size_t vlan_off) {
  cfg.defs[0] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, 0, 0, 0);
  cfg.defs[1] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, 1, 1, dscp_off);
  cfg.defs[2] = field(RTE_ACL_FIELD_TYPE_BITMASK, 1, 2, 1, l4_off);
  cfg.defs[3] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, 3, 1, vlan_off);
}

rte_acl_config config4() {
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.num_fields = F4_NUM;
  common_defs(cfg, offsetof(Key4, dscp), offsetof(Key4, l4), offsetof(Key4, vlan));
  cfg.defs[F4_SRC] = field(RTE_ACL_FIELD_TYPE_MASK, 4, F4_SRC, 2, offsetof(Key4, src));
  cfg.defs[F4_DST] = field(RTE_ACL_FIELD_TYPE_MASK, 4, F4_DST, 3, offsetof(Key4, dst));
  cfg.defs[F4_SPORT] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, F4_SPORT, 4, offsetof(Key4, sport));
  cfg.defs[F4_DPORT] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, F4_DPORT, 4, offsetof(Key4, dport));
  return cfg;
}

rte_acl_config config6() {
  rte_acl_config cfg{};
  cfg.num_categories = 1;
  cfg.num_fields = F6_NUM;
  common_defs(cfg, offsetof(Key6, dscp), offsetof(Key6, l4), offsetof(Key6, vlan));
  for (uint8_t w = 0; w < 4; ++w) {
    cfg.defs[F6_SRC0 + w] = field(RTE_ACL_FIELD_TYPE_MASK, 4, F6_SRC0 + w, 2 + w, offsetof(Key6, src) + 4 * w);
    cfg.defs[F6_DST0 + w] = field(RTE_ACL_FIELD_TYPE_MASK, 4, F6_DST0 + w, 6 + w, offsetof(Key6, dst) + 4 * w);
  }
  cfg.defs[F6_SPORT] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, F6_SPORT, 10, offsetof(Key6, sport));
  cfg.defs[F6_DPORT] = field(RTE_ACL_FIELD_TYPE_RANGE, 2, F6_DPORT, 10, offsetof(Key6, dport));
  return cfg;
}

// The parts of a rule that do not depend on the address family, one expansion step each.
struct Common {
  int16_t proto;  // -1 any
  int16_t dscp;   // -1 any
  bool ports;     // rule constrains ports: needs the l4 flag
  PortRange sport, dport;
  int32_t vlan;
};

template <typename R>
void fill_common(R& r, const Common& c, int32_t priority, uint32_t userdata, int f_proto, int f_dscp, int f_l4,
                 int f_vlan, int f_sport, int f_dport) {
  std::memset(&r, 0, sizeof(r));
  r.data.category_mask = 1;
  r.data.priority = priority;
  r.data.userdata = userdata;
  r.field[f_proto].value.u8 = c.proto < 0 ? 0 : static_cast<uint8_t>(c.proto);
  r.field[f_proto].mask_range.u8 = c.proto < 0 ? 0 : 0xff;
  r.field[f_dscp].value.u8 = c.dscp < 0 ? 0 : static_cast<uint8_t>(c.dscp);
  r.field[f_dscp].mask_range.u8 = c.dscp < 0 ? 0 : 0xff;
  r.field[f_l4].value.u8 = c.ports ? 1 : 0;
  r.field[f_l4].mask_range.u8 = c.ports ? 1 : 0;
  r.field[f_vlan].value.u16 = c.vlan < 0 ? 0 : static_cast<uint16_t>(c.vlan);
  r.field[f_vlan].mask_range.u16 = c.vlan < 0 ? 0xffff : static_cast<uint16_t>(c.vlan);
  r.field[f_sport].value.u16 = c.sport.lo;
  r.field[f_sport].mask_range.u16 = c.sport.hi;
  r.field[f_dport].value.u16 = c.dport.lo;
  r.field[f_dport].mask_range.u16 = c.dport.hi;
}

void set_prefix6(Rule6& r, int first_field, const Prefix6* p) {
  for (int w = 0; w < 4; ++w) {
    int len = p ? static_cast<int>(p->len) - 32 * w : 0;
    len = len < 0 ? 0 : (len > 32 ? 32 : len);
    uint32_t v = 0;
    if (p) {
      std::memcpy(&v, p->addr.data() + 4 * w, 4);
      v = be_to_host32(v);
    }
    const uint32_t mask = len == 0 ? 0 : (~0u << (32 - len));
    r.field[first_field + w].value.u32 = v & mask;
    r.field[first_field + w].mask_range.u32 = static_cast<uint32_t>(len);
  }
}

// rte_acl_free as a stateless deleter (integral_constant converts to the function pointer it holds).
using AclCtxPtr = std::unique_ptr<rte_acl_ctx, std::integral_constant<decltype(&rte_acl_free), &rte_acl_free>>;

template <typename R>
AclCtxPtr make_ctx(const char* family, const std::vector<R>& rules, const rte_acl_config& cfg, std::string* error) {
  if (rules.empty()) return nullptr;  // no rules of this family: every packet gets the default class
  // Names must be unique while contexts coexist (old snapshot alive during a reload).
  static std::atomic<uint32_t> seq{0};
  const std::string name = fmt::format("ws_acl{}_{}", family, seq.fetch_add(1, std::memory_order_relaxed));
  rte_acl_param prm{};
  prm.name = name.c_str();
  prm.socket_id = SOCKET_ID_ANY;
  prm.rule_size = RTE_ACL_RULE_SZ(std::size(R{}.field));  // fields per rule
  prm.max_rule_num = static_cast<uint32_t>(rules.size());
  AclCtxPtr ctx(rte_acl_create(&prm));
  if (!ctx) {
    *error = fmt::format("classifier: rte_acl_create({}) failed (rte_errno {})", name, rte_errno);
    return nullptr;
  }
  int rc = rte_acl_add_rules(ctx.get(), reinterpret_cast<const rte_acl_rule*>(rules.data()),
                             static_cast<uint32_t>(rules.size()));
  if (rc != 0) {
    *error = fmt::format("classifier: adding {} IPv{} ACL rules failed ({})", rules.size(), family, rc);
    return nullptr;
  }
  rc = rte_acl_build(ctx.get(), &cfg);
  if (rc != 0) {
    *error = fmt::format("classifier: building IPv{} ACL with {} rules failed ({})", family, rules.size(), rc);
    return nullptr;
  }
  return ctx;
}

// The checks of one rule that do not depend on the address family. Returns "" when it is valid.
std::string rule_error(const ClassRule& cr, size_t i) {
  if (cr.class_id >= kMaxClasses)
    return fmt::format("classifier: rule {} has class {} (max {})", i, cr.class_id, kMaxClasses - 1);
  if (cr.vlan > 4095 || cr.vlan < -1)
    return fmt::format("classifier: rule {} has VLAN {} outside -1..4095", i, cr.vlan);
  if (cr.proto > 255 || cr.proto < -1)
    return fmt::format("classifier: rule {} has protocol {} outside -1..255", i, cr.proto);
  if (cr.sport.lo > cr.sport.hi || cr.dport.lo > cr.dport.hi)
    return fmt::format("classifier: rule {} has an empty port range", i);
  return "";
}

// What differs between the address families when a rule is expanded into ACL rules.
struct Family4 {
  using Rule = Rule4;
  static constexpr int kVersion = 4;
  static constexpr uint32_t kMaxPrefixLen = 32;
  static const std::vector<Prefix4>& sources(const ClassRule& cr) { return cr.src4; }
  static const std::vector<Prefix4>& destinations(const ClassRule& cr) { return cr.dst4; }
  static void fill(Rule4& r, const Common& c, int32_t priority, uint32_t userdata, const Prefix4* sp,
                   const Prefix4* dp) {
    fill_common(r, c, priority, userdata, F4_PROTO, F4_DSCP, F4_L4, F4_VLAN, F4_SPORT, F4_DPORT);
    r.field[F4_SRC].value.u32 = sp ? sp->addr : 0;
    r.field[F4_SRC].mask_range.u32 = sp ? sp->len : 0;
    r.field[F4_DST].value.u32 = dp ? dp->addr : 0;
    r.field[F4_DST].mask_range.u32 = dp ? dp->len : 0;
  }
};

struct Family6 {
  using Rule = Rule6;
  static constexpr int kVersion = 6;
  static constexpr uint32_t kMaxPrefixLen = 128;
  static const std::vector<Prefix6>& sources(const ClassRule& cr) { return cr.src6; }
  static const std::vector<Prefix6>& destinations(const ClassRule& cr) { return cr.dst6; }
  static void fill(Rule6& r, const Common& c, int32_t priority, uint32_t userdata, const Prefix6* sp,
                   const Prefix6* dp) {
    fill_common(r, c, priority, userdata, F6_PROTO, F6_DSCP, F6_L4, F6_VLAN, F6_SPORT, F6_DPORT);
    set_prefix6(r, F6_SRC0, sp);
    set_prefix6(r, F6_DST0, dp);
  }
};

// Appends the ACL rules of rule i for address family F, one per source x destination prefix. Returns false and
// sets *error.
template <typename F>
bool expand(const ClassRule& cr, size_t i, const Common& c, int32_t priority, uint32_t userdata,
            std::vector<typename F::Rule>& out, std::string* error) {
  const auto& srcs = F::sources(cr);
  const auto& dsts = F::destinations(cr);
  const size_t ns = srcs.empty() ? 1 : srcs.size();
  const size_t nd = dsts.empty() ? 1 : dsts.size();
  if (out.size() + ns * nd > kMaxAclRulesPerFamily) {
    *error = fmt::format("classifier: too many IPv{} ACL rules after expanding lists (limit {}) at rule {}",
                         F::kVersion, kMaxAclRulesPerFamily, i);
    return false;
  }
  for (size_t s = 0; s < ns; ++s) {
    for (size_t t = 0; t < nd; ++t) {
      const auto* sp = srcs.empty() ? nullptr : &srcs[s];
      const auto* dp = dsts.empty() ? nullptr : &dsts[t];
      if ((sp && sp->len > F::kMaxPrefixLen) || (dp && dp->len > F::kMaxPrefixLen)) {
        *error =
            fmt::format("classifier: rule {} has an IPv{} prefix longer than {}", i, F::kVersion, F::kMaxPrefixLen);
        return false;
      }
      F::fill(out.emplace_back(), c, priority, userdata, sp, dp);
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<Classifier> Classifier::build(const std::vector<ClassRule>& rules, uint8_t default_class,
                                              std::string* error) {
  std::vector<Rule4> r4;
  std::vector<Rule6> r6;
  for (size_t i = 0; i < rules.size(); ++i) {
    const ClassRule& cr = rules[i];
    if (std::string e = rule_error(cr, i); !e.empty()) {
      *error = std::move(e);
      return nullptr;
    }
    const bool ports = !cr.sport.any() || !cr.dport.any();
    // Ports exist only on TCP and UDP: a port rule for another protocol can never match.
    if (ports && cr.proto >= 0 && cr.proto != kProtoTcp && cr.proto != kProtoUdp) continue;
    // Earlier rules win: highest priority for rule 0. Every expansion of one rule shares priority and class.
    const int32_t priority = RTE_ACL_MAX_PRIORITY - static_cast<int32_t>(i);
    const uint32_t userdata = cr.class_id + 1u;  // 0 means "no match" in rte_acl results
    const size_t n_dscp = cr.dscp.empty() ? 1 : cr.dscp.size();
    for (size_t d = 0; d < n_dscp; ++d) {
      Common c{cr.proto, cr.dscp.empty() ? int16_t{-1} : int16_t{cr.dscp[d]}, ports, cr.sport, cr.dport, cr.vlan};
      if (c.dscp > 63) {
        *error = fmt::format("classifier: rule {} has DSCP {} above 63", i, c.dscp);
        return nullptr;
      }
      if (cr.matches_v4() && !expand<Family4>(cr, i, c, priority, userdata, r4, error)) return nullptr;
      if (cr.matches_v6() && !expand<Family6>(cr, i, c, priority, userdata, r6, error)) return nullptr;
    }
  }

  std::string err;
  AclCtxPtr v4 = make_ctx("4", r4, config4(), &err);
  if (!v4 && !r4.empty()) {
    *error = err;
    return nullptr;
  }
  AclCtxPtr v6 = make_ctx("6", r6, config6(), &err);
  if (!v6 && !r6.empty()) {
    *error = err;
    return nullptr;
  }
  std::unique_ptr<Classifier> c(new Classifier());
  c->v4_ = v4.release();
  c->v6_ = v6.release();
  c->default_class_ = default_class;
  c->n_rules_ = static_cast<uint32_t>(r4.size() + r6.size());
  return c;
}

Classifier::~Classifier() {
  rte_acl_free(v4_);
  rte_acl_free(v6_);
}

}  // namespace wansteer
