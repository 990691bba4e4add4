// Classifier: policy rules compiled into rte_acl contexts (IPv4 and IPv6); first rule in policy order wins.
// Built and freed by control (setup/classifier_build.cpp); bursts classified by workers (classify.cpp).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/packet_meta.hpp"
#include "dataplane/rules.hpp"

struct rte_acl_ctx;

namespace wansteer {

class Classifier {
 public:
  // Builds the ACL contexts (control thread). Returns nullptr and sets *error on failure.
  // Classes come from rules[i].class_id; packets matching no rule get default_class.
  static std::unique_ptr<Classifier> build(const std::vector<ClassRule>& rules, uint8_t default_class,
                                           std::string* error);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // Sets metas[i]->class_id for i in [0, n), n <= kBurst. Non-IP metas get default_class.
  // Fast path: no allocation, no locks.
  void classify_burst(PacketMeta* const* metas, uint16_t n) const;

  uint8_t default_class() const { return default_class_; }
  uint32_t rule_count() const { return n_rules_; }  // ACL rules after expanding lists

 private:
  Classifier() = default;
  rte_acl_ctx* v4_ = nullptr;
  rte_acl_ctx* v6_ = nullptr;
  uint8_t default_class_ = 0;
  uint32_t n_rules_ = 0;
};

}  // namespace wansteer
