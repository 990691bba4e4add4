// The hub's side of the overlay as a wg-quick configuration (`wansteer overlay hub-config`): a standard WireGuard
// peer (kernel WireGuard on a cloud VM, or wireguard-go) that accepts this site and NATs its traffic to the internet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/policy/policy_types.hpp"
#include "dataplane/overlay/keypair.hpp"

namespace wansteer::wg {

// Where the hub's private key is read from when the config does not carry it (wg set ... private-key FILE).
inline constexpr const char* kHubKeyPathOnHub = "/etc/wireguard/wansteer-hub.key";

struct HubConfig {
  std::string site_name;                // for the comments: the policy's name
  std::optional<Key> hub_private_key;   // set: written as PrivateKey; unset: loaded from kHubKeyPathOnHub
  uint16_t listen_port = 51820;         // the policy's hub endpoint port
  Ipv4Cidr hub_address;                 // the hub's own inner address
  uint16_t mtu = 1420;                  // the policy's inner MTU: both ends alike
  Key site_public_key{};                // derived from the policy's private_key_file
  std::vector<Ipv4Cidr> site_networks;  // the site's LAN subnets: what the site sends from, what goes back
  std::vector<std::string> notes;       // extra comment lines (e.g. routed LANs not listed)
};

// The site's LAN subnets as networks (host bits cleared), once each, in policy order.
std::vector<Ipv4Cidr> lan_networks(const Policy& policy);

// The wg-quick file text. The hub forwards and masquerades what comes from the tunnel out of its default route's
// interface (nftables table ip wansteer_hub), so the site's traffic leaves with the hub's address.
std::string hub_wg_quick_config(const HubConfig& config);

}  // namespace wansteer::wg
