// wansteer daemon: loads the policy, starts DPDK ports and worker lcores, runs the control thread until a
// signal, then stops, closes ports and prints final counters. The steps live in control/runtime/daemon.cpp.
#include <cstdio>
#include <exception>
#include <optional>
#include <string_view>

#include "control/operations/commands.hpp"
#include "control/overlay/overlay_command.hpp"
#include "control/runtime/daemon.hpp"
#include "control/runtime/daemon_options.hpp"
#include "control/runtime/policy_commands.hpp"

using namespace wansteer;

namespace {

const std::string kUsage =
    std::string(
        "wansteer: SD-WAN edge data plane. Steers each application class (VoIP, Microsoft 365, payments, guest,\n"
        "default) from the office LAN to the WAN links its policy allows, and moves it when a link goes away.\n"
        "\n"
        "Usage:\n"
        "  wansteer --policy FILE [options] [-- EAL-ARGS...]   run the edge\n"
        "  wansteer --check [--strict] FILE...                 validate policy files (every one) and exit\n"
        "  wansteer --check NEW.yaml --against RUNNING.yaml    also list what a reload would change, and exit\n"
        "  wansteer --explain FILE [--format text|markdown]    what the policy does when a link fails, and exit\n"
        "  wansteer overlay keygen --out FILE                  a new overlay private key; prints its public key\n"
        "  wansteer overlay hub-config --policy FILE [...]     the hub's wg-quick config for this site\n"
        "  wansteer --version\n"
        "\n"
        "Ports come from the policy (lan.device, links[].device): a DPDK vdev string such as\n"
        "\"net_af_packet0,iface=eth1\" (added to EAL as --vdev automatically) or a PCI address of a NIC bound to\n"
        "vfio-pci. Without EAL-ARGS wansteer uses: -l 0-WORKERS --no-pci --huge-unlink (and --no-huge when no\n"
        "huge pages are free). With a NIC, pass e.g.: -- -l 0-2 -a 0000:03:00.0 -a 0000:03:00.1\n"
        "\n"
        "Prometheus metrics are served on http://127.0.0.1:9469/metrics unless --no-metrics (policy key\n"
        "metrics.listen, or --metrics, picks another address; --metrics wins).\n"
        "\n"
        "Every link is probed through itself (policy probing:/probe:, STAMP or ICMP); each class follows its SLA.\n"
        "Each link-state, SLA and steering change is printed on stdout as one JSON object a line, nothing else on\n"
        "it; the daemon's other messages start with \"wansteer:\", and problems go to stderr.\n\n"
        "Operate it with wansteerctl (same --ctl socket):\n") +
    ctl_help_lines() +
    "SIGHUP reloads the policy (an invalid file is rejected and the running policy stays); SIGINT/SIGTERM\n"
    "stop it and print the final counters.\n"
    "\n"
    "Exit status: 0 stopped in order (or every --check file valid: warnings allowed unless --strict), 1 a policy\n"
    "invalid (errors, or warnings with --strict, or with --against a change a reload would refuse) or start-up\n"
    "failed, 2 bad command line.\n"
    "\n"
    "Options";

}  // namespace

int main(int argc, char** argv) {
  // What the parts below do not catch themselves (out of memory, a library's error) ends the program with its
  // reason on stderr and status 1, not with std::terminate's abort.
  try {
    // A subcommand, not an option: its own options stay apart from the daemon's.
    if (argc > 1 && std::string_view(argv[1]) == "overlay") return run_overlay_command(argc - 1, argv + 1);
    DaemonOptions options;
    if (std::optional<int> rc = parse_daemon_options(argc, argv, kUsage.c_str(), &options)) return *rc;
    if (!options.check_paths.empty()) return check_policy_files(options.check_paths, options.strict, options.against);
    if (!options.explain_path.empty()) return explain_policy_file(options.explain_path, options.explain_markdown);
    return run_daemon(options);
  } catch (const std::exception& e) {
    fprintf(stderr, "wansteer: stopped: %s\n", e.what());
    return 1;
  }
}
