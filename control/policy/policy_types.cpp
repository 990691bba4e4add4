// The few functions of the policy's value types: error text, name lookups and the SLA presets.
#include "control/policy/policy_types.hpp"

#include <fmt/format.h>

namespace wansteer {

std::string PolicyError::to_string() const {
  return fmt::format("{}:{}:{}: {}{}", loc.file, loc.line, loc.column, severity == Severity::warning ? "warning: " : "",
                     reason);
}

int Policy::link_index(const std::string& n) const {
  for (size_t i = 0; i < links.size(); ++i)
    if (links[i].name == n) return static_cast<int>(i);
  return -1;
}

int Policy::class_index(const std::string& n) const {
  for (size_t i = 0; i < classes.size(); ++i)
    if (classes[i].name == n) return static_cast<int>(i);
  return -1;
}

std::optional<SlaSpec> sla_preset(const std::string& name) {
  // voice: the usual VoIP budget (ITU-T G.114 keeps one-way delay under 150 ms; 1 % loss and 30 ms jitter are
  // what common codecs' concealment and jitter buffers absorb). interactive: web apps, payments, Microsoft 365.
  // bulk: anything that only needs the line to work.
  if (name == "voice") return SlaSpec{"voice", 1, 150, 30};
  if (name == "interactive") return SlaSpec{"interactive", 3, 300, 60};
  if (name == "bulk") return SlaSpec{"bulk", 20, 1000, 200};
  return std::nullopt;
}

}  // namespace wansteer
