// wansteer --explain: what a policy does in normal operation, when each link fails and when each link misses the
// voice SLA -- per class the link, its rate limit and shaper priority there, and the upstream it can count on.
// Computed with the planner and the egress plan the running edge uses, on synthetic link health.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "control/policy/policy.hpp"

namespace wansteer {

// One class on one link it is picked for, in one scenario.
struct ClassOnLink {
  uint8_t link = 0;
  bool overlay = false;                      // through the overlay to the hub over this link, not straight out
  bool blocked = false;                      // the meter drops it here (on_backup: block, or budget spent)
  bool budget_blocked = false;               // ... because the link's data budget is spent (on_budget_exhausted)
  uint64_t limit_bps = 0;                    // its rate limit here; 0 = none
  unsigned priority = 0;                     // 1-based place in the link's shaper order; 0 = the link has no shaper
  uint64_t capacity_bps = 0;                 // the link's capacity.up (0 = not given)
  uint64_t ceiling_bps = 0;                  // the most it can send: capacity.up capped by its limit (0 = unknown)
  uint64_t guaranteed_bps = 0;               // what is left when every higher-priority class sends at its limit
  std::vector<std::string> unlimited_above;  // higher-priority classes here without a limit: nothing guaranteed
  std::vector<std::string> limited_above;    // higher-priority classes here with a limit
};

struct ClassOutcome {
  std::string name;
  std::vector<ClassOnLink> links;  // picked links (balance: several); empty: no allowed link is up
  bool fallback = false;           // no allowed link meets its SLA: it runs on the best alive one
  bool blocked() const;            // no link, or blocked on every picked link
};

struct Scenario {
  enum class Kind : uint8_t { normal, link_down, out_of_voice_sla, budget_spent };
  Kind kind = Kind::normal;
  uint8_t link = 0;                     // the link down, out of SLA or with its data budget spent
  std::vector<std::string> sla_losers;  // out_of_voice_sla: the classes that lose the link
  std::vector<ClassOutcome> classes;    // in class order
};

struct PolicyExplanation {
  std::vector<Scenario> scenarios;
  std::vector<PolicyError> warnings;
};

// A class's SLA is voice-like when it is as strict as the voice preset in loss, RTT or jitter: a link that misses
// voice in that measure misses this class too.
bool voice_like_sla(const SlaSpec& sla);

// Scenarios in order: normal, each link down, each link out of the voice SLA (when some class is voice-like), each
// metered link with its data budget spent.
PolicyExplanation explain_policy(const Policy& policy, std::vector<PolicyError> warnings);

std::string scenario_title(const Policy& policy, const Scenario& s);
std::string explain_text(const Policy& policy, const PolicyExplanation& e);
// A runbook section an office can paste: per scenario what staff should expect.
std::string explain_markdown(const Policy& policy, const PolicyExplanation& e);

}  // namespace wansteer
