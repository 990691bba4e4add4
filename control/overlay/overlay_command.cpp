// Option parsing and output for `wansteer overlay`: keygen writes the key and prints only the public half;
// hub-config loads the site policy with the policy loader, so its errors come as FILE:LINE:COLUMN like --check's.
#include "control/overlay/overlay_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "control/overlay/hub_config.hpp"
#include "control/overlay/private_key_file.hpp"
#include "control/overlay/private_key_writer.hpp"
#include "control/overlay/x25519.hpp"
#include "control/policy/policy_loader.hpp"
#include "control/policy/value_parsers.hpp"

namespace po = boost::program_options;

namespace wansteer {

namespace {

constexpr const char* kOverlayUsage =
    "Usage:\n"
    "  wansteer overlay keygen --out FILE\n"
    "      a new overlay private key in FILE (created with mode 0600, never over an existing file);\n"
    "      prints the public key (the hub's config needs it; `wansteer overlay hub-config` derives it too)\n"
    "  wansteer overlay hub-config --policy FILE [--hub-private-key-file F] [--hub-address A/P]\n"
    "                              [--site-networks NET...]\n"
    "      the hub's WireGuard configuration (wg-quick format) for the site in the policy, on stdout\n"
    "  wansteer overlay hub-config --site-public-key KEY --site-networks NET... [...]\n"
    "      the same for a site given by its key and networks (no policy)\n";

constexpr const char* kDefaultHubAddress = "10.200.0.1/24";

// Parses `args` (after the subcommand) against `opts`; the exit status when the command should stop now.
std::optional<int> parse_subcommand(const po::options_description& opts, const std::vector<std::string>& args,
                                    po::variables_map& vm) {
  try {
    po::store(po::command_line_parser(args).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "wansteer overlay: {}\n(try wansteer overlay --help)\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << kOverlayUsage << "\n" << opts << "\n";
    return 0;
  }
  return std::nullopt;
}

int keygen(const std::vector<std::string>& args) {
  po::options_description opts("keygen options");
  opts.add_options()("help,h", "show this help")("out,o", po::value<std::string>()->required(),
                                                 "the private key file to create (mode 0600; refused when it exists)");
  po::variables_map vm;
  if (auto rc = parse_subcommand(opts, args, vm)) return *rc;
  std::string why;
  const auto pub = wg::write_new_private_key_file(vm["out"].as<std::string>(), &why);
  if (!pub) {
    fmt::print(stderr, "wansteer overlay keygen: {}\n", why);
    return 1;
  }
  fmt::print("{}\n", wg::key_to_base64(*pub));
  return 0;
}

// --site-networks: each a network (host bits clear), IPv4.
std::optional<std::vector<Ipv4Cidr>> site_networks(const std::vector<std::string>& words) {
  std::vector<Ipv4Cidr> nets;
  for (const auto& w : words) {
    std::string why;
    const auto p = policy_reader::parse_prefix(w, why);
    if (!p || p->v6) {
      fmt::print(stderr, "wansteer overlay hub-config: --site-networks {}\n",
                 p ? fmt::format("\"{}\" is IPv6; the overlay carries IPv4", w) : why);
      return std::nullopt;
    }
    nets.push_back(Ipv4Cidr{p->p4.addr, p->p4.len});
  }
  return nets;
}

// The hub's key from --hub-private-key-file; with a policy, checked against its hub public_key.
bool read_hub_key(const std::string& path, const Policy* policy, wg::HubConfig& config) {
  std::string why;
  auto key = wg::read_private_key_file(path, &why);
  if (!key) {
    fmt::print(stderr, "wansteer overlay hub-config: --hub-private-key-file: {}\n", why);
    return false;
  }
  if (policy != nullptr && wg::public_key_of(*key) != policy->overlay.hub_public_key) {
    fmt::print(stderr,
               "wansteer overlay hub-config: {}'s public key is {}, but the policy's overlay hub public_key is {}: "
               "the site would never complete a handshake with this hub\n",
               path, wg::key_to_base64(wg::public_key_of(*key)), wg::key_to_base64(policy->overlay.hub_public_key));
    return false;
  }
  config.hub_private_key = *key;
  return true;
}

std::optional<Policy> load_site_policy(const std::string& path) {
  PolicyResult r = load_policy(path);
  for (const auto& e : r.errors) fmt::print(stderr, "{}\n", e.to_string());
  if (!r.ok()) {
    fmt::print(stderr, "{}: invalid ({} errors)\n", path, r.errors.size());
    return std::nullopt;
  }
  if (!r.policy->overlay.enabled) {
    fmt::print(stderr, "{}: has no overlay section (hub, private_key_file); nothing to configure a hub for\n", path);
    return std::nullopt;
  }
  return std::move(r.policy);
}

void fill_from_policy(const Policy& policy, wg::HubConfig& config) {
  config.site_name = policy.name;
  config.listen_port = policy.overlay.hub_port;
  config.mtu = policy.overlay.mtu;
  config.site_public_key = policy.overlay.public_key;
  config.site_networks = wg::lan_networks(policy);
  if (std::any_of(policy.lan.subnets.begin(), policy.lan.subnets.end(), [](auto& s) { return s.routed; }))
    config.notes.emplace_back("The policy has a routed LAN: add the networks behind it with --site-networks.");
}

po::options_description hub_config_options() {
  // (boost keeps a copy of each description; this one names the key path, so it is built first)
  static const std::string hub_key_help =
      "write the hub's private key (this file, mode 0600; its public key must be the policy's hub public_key) into "
      "the config; without it, the config loads the key on the hub from " +
      std::string(wg::kHubKeyPathOnHub);
  po::options_description opts("hub-config options");
  opts.add_options()("help,h", "show this help")("policy,p", po::value<std::string>(),
                                                 "the site's policy (with its overlay section)")(
      "site-public-key", po::value<std::string>(),
      "instead of --policy: the site's public key (with --site-networks; port 51820, MTU 1420)")(
      "hub-private-key-file", po::value<std::string>(), hub_key_help.c_str())(
      "hub-address", po::value<std::string>()->default_value(kDefaultHubAddress),
      "the hub's own inner address and prefix length")(
      "site-networks", po::value<std::vector<std::string>>()->multitoken(),
      "the site's networks behind the tunnel (AllowedIPs); default: the policy's lan subnets");
  return opts;
}

// The config's site part: from the policy, or from --site-public-key and --site-networks. The exit status on error.
std::optional<int> site_part(const po::variables_map& vm, std::optional<Policy>& policy, wg::HubConfig& config) {
  if (vm.count("policy") == vm.count("site-public-key") || (!vm.count("policy") && !vm.count("site-networks"))) {
    fmt::print(stderr,
               "wansteer overlay hub-config: give --policy FILE, or --site-public-key KEY with --site-networks\n");
    return 2;
  }
  if (vm.count("policy")) {
    policy = load_site_policy(vm["policy"].as<std::string>());
    if (!policy) return 1;
    fill_from_policy(*policy, config);
  } else {
    const auto key = wg::key_from_base64(vm["site-public-key"].as<std::string>());
    if (!key) {
      fmt::print(stderr, "wansteer overlay hub-config: --site-public-key is not a WireGuard public key\n");
      return 2;
    }
    config.site_public_key = *key;
  }
  if (vm.count("site-networks")) {
    auto nets = site_networks(vm["site-networks"].as<std::vector<std::string>>());
    if (!nets) return 2;
    config.site_networks = *nets;
    config.notes.clear();
  }
  return std::nullopt;
}

int hub_config(const std::vector<std::string>& args) {
  const po::options_description opts = hub_config_options();
  po::variables_map vm;
  if (auto rc = parse_subcommand(opts, args, vm)) return *rc;
  std::string why;
  const auto hub_address = policy_reader::parse_iface_address(vm["hub-address"].as<std::string>(), why);
  if (!hub_address) {
    fmt::print(stderr, "wansteer overlay hub-config: --hub-address {}\n", why);
    return 2;
  }
  wg::HubConfig config{.hub_address = *hub_address};
  std::optional<Policy> policy;
  if (auto rc = site_part(vm, policy, config)) return *rc;
  if (vm.count("hub-private-key-file") &&
      !read_hub_key(vm["hub-private-key-file"].as<std::string>(), policy ? &*policy : nullptr, config))
    return 1;
  fmt::print("{}", wg::hub_wg_quick_config(config));
  if (config.hub_private_key) config.hub_private_key->fill(0);
  return 0;
}

}  // namespace

int run_overlay_command(int argc, char** argv) {
  const std::string sub = argc > 1 ? argv[1] : "";
  const std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
  if (sub == "keygen") return keygen(args);
  if (sub == "hub-config") return hub_config(args);
  if (sub == "--help" || sub == "-h") {
    fmt::print("{}", kOverlayUsage);
    return 0;
  }
  fmt::print(stderr, "wansteer overlay: {}\n{}", sub.empty() ? "which command?" : "unknown command \"" + sub + "\"",
             kOverlayUsage);
  return 2;
}

}  // namespace wansteer
