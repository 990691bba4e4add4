// EAL command line for the daemon: the operator's EAL arguments, or sane defaults, plus the policy's vdevs.
#pragma once
#include <string>
#include <vector>

#include "control/policy/policy.hpp"

namespace wansteer {

struct EalDefaults {
  unsigned workers = 1;
  bool hugepages_available = true;  // false: add --no-huge so the daemon still starts (slower, for labs)
  int pid = 0;
};

// user_args: what followed "--" on the command line (may be empty). Devices starting with "net_" become
// --vdev arguments unless the operator already passed a --vdev for that device name.
std::vector<std::string> build_eal_args(const std::vector<std::string>& user_args, const Policy& policy,
                                        const EalDefaults& d);

// True when /proc/meminfo shows at least `pages_needed` free huge pages.
bool hugepages_free(unsigned pages_needed);

}  // namespace wansteer
