// Text only: the key handling (reading, checking against the policy) is the caller's. The hub has no Endpoint for
// the site: the site's outer address differs per link, and WireGuard follows the last authenticated one (roaming).
#include "control/overlay/hub_config.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "control/overlay/x25519.hpp"
#include "control/policy/ipv4_subnets.hpp"

namespace wansteer::wg {

using policy_reader::cidr_str;

namespace {

// The interface of the hub's IPv4 default route, found when the tunnel comes up (a cloud VM's is ens3, eth0, ...).
constexpr const char* kDefaultInterface =
    "$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == \"dev\") {print $(i + 1); exit}}')";

std::string interface_section(const HubConfig& c) {
  std::string s = "[Interface]\n";
  if (c.hub_private_key) {
    s += fmt::format("PrivateKey = {}\n", key_to_base64(*c.hub_private_key));
  } else {
    s += fmt::format(
        "# The hub's private key stays in its own file, not here: create it on the hub with\n"
        "#   umask 077; wg genkey > {0}\n"
        "# and put `wg pubkey < {0}` in the site policy (overlay: hub: public_key:).\n"
        "PostUp = wg set %i private-key {0}\n",
        kHubKeyPathOnHub);
  }
  s += fmt::format("ListenPort = {}\nAddress = {}\nMTU = {}\n", c.listen_port, cidr_str(c.hub_address), c.mtu);
  s += fmt::format(
      "# Forward what the site sends and masquerade it out of the default route's interface, so it reaches the\n"
      "# internet from this hub's address whichever of the site's links carried it; replies come back the same way.\n"
      "PostUp = sysctl -q -w net.ipv4.ip_forward=1\n"
      "PostUp = nft add table ip wansteer_hub && nft flush table ip wansteer_hub\n"
      "PostUp = nft add chain ip wansteer_hub postrouting '{{ type nat hook postrouting priority srcnat; }}'\n"
      "PostUp = nft add rule ip wansteer_hub postrouting iifname %i oifname \"{}\" masquerade\n"
      "PostDown = nft delete table ip wansteer_hub\n",
      kDefaultInterface);
  return s;
}

std::string peer_section(const HubConfig& c) {
  std::string nets;
  for (const auto& n : c.site_networks) nets += (nets.empty() ? "" : ", ") + cidr_str(n);
  std::string s = fmt::format("\n[Peer]\n# site {}\nPublicKey = {}\n", c.site_name.empty() ? "(unnamed)" : c.site_name,
                              key_to_base64(c.site_public_key));
  s += "# The site's LAN subnets: it sends its hosts' packets unchanged into the tunnel, and replies to them go back\n"
       "# to it. No Endpoint: the site's address is a different one on each of its links; the hub answers the last\n"
       "# one it heard from. No PersistentKeepalive: the site keeps the tunnel alive.\n";
  for (const auto& note : c.notes) s += "# " + note + "\n";
  s += "AllowedIPs = " + nets + "\n";
  return s;
}

}  // namespace

std::vector<Ipv4Cidr> lan_networks(const Policy& policy) {
  std::vector<Ipv4Cidr> out;
  for (const auto& sub : policy.lan.subnets) {
    const Ipv4Cidr net{sub.address.network(), sub.address.len};
    if (std::none_of(out.begin(), out.end(), [&](const Ipv4Cidr& n) { return n.addr == net.addr && n.len == net.len; }))
      out.push_back(net);
  }
  return out;
}

std::string hub_wg_quick_config(const HubConfig& config) {
  return fmt::format(
             "# WireGuard hub for wansteer site {} (wg-quick format, from `wansteer overlay hub-config`).\n"
             "# On the hub: save as /etc/wireguard/wg0.conf (mode 0600), then `wg-quick up wg0`; see "
             "docs/overlay-hub.md.\n",
             config.site_name.empty() ? "(unnamed)" : config.site_name) +
         interface_section(config) + peer_section(config);
}

}  // namespace wansteer::wg
