// EAL arguments: defaults chosen for a lab edge (no PCI scan, huge pages unlinked so a crash leaks nothing).
#include "control/runtime/eal_args.hpp"

#include <fstream>
#include <sstream>

#include "dataplane/setup/ports.hpp"

namespace wansteer {

std::vector<std::string> build_eal_args(const std::vector<std::string>& user_args, const Policy& policy,
                                        const EalDefaults& d) {
  std::vector<std::string> args{"wansteer"};
  if (user_args.empty()) {
    args.push_back("-l");
    args.push_back(d.workers == 0 ? "0" : "0-" + std::to_string(d.workers));
    args.push_back("--no-pci");
    args.push_back("--file-prefix=wansteer-" + std::to_string(d.pid));
    if (d.hugepages_available) {
      args.push_back("--huge-unlink");
    } else {
      args.push_back("--no-huge");
      args.push_back("-m");
      args.push_back("1024");
    }
    args.push_back("--log-level=lib.eal:error");
  } else {
    args.insert(args.end(), user_args.begin(), user_args.end());
  }
  auto already_given = [&](const std::string& name) {
    for (size_t i = 0; i < args.size(); i++) {
      const std::string& a = args[i];
      std::string v;
      if (a == "--vdev" && i + 1 < args.size())
        v = args[i + 1];
      else if (a.rfind("--vdev=", 0) == 0)
        v = a.substr(7);
      if (!v.empty() && device_name(v) == name) return true;
    }
    return false;
  };
  std::vector<std::string> devices{policy.lan.device};
  for (const auto& l : policy.links) devices.push_back(l.device);
  for (const auto& dev : devices) {
    if (dev.rfind("net_", 0) != 0 || already_given(device_name(dev))) continue;
    args.push_back("--vdev=" + dev);
  }
  return args;
}

bool hugepages_free(unsigned pages_needed) {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("HugePages_Free:", 0) == 0) {
      std::istringstream ss(line.substr(15));
      unsigned n = 0;
      ss >> n;
      return n >= pages_needed;
    }
  }
  return false;
}

}  // namespace wansteer
