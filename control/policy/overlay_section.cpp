// The overlay section (issue 13): the WireGuard hub every link can reach (or another site, `peer:`) and our key.
// Checked at load so that a wrong key or endpoint is reported at its line, not found later as a tunnel that never comes
// up; the private key itself is only checked here (readable by root only, a valid key) and never kept in the policy or
// printed.
#include <fmt/format.h>

#include <filesystem>

#include "control/overlay/private_key_file.hpp"
#include "control/overlay/x25519.hpp"
#include "control/policy/ipv4_subnets.hpp"
#include "control/policy/sections.hpp"
#include "control/policy/value_parsers.hpp"
#include "control/policy/value_readers.hpp"
#include "dataplane/overlay/overlay_config.hpp"

namespace wansteer::policy_reader {

namespace {

constexpr int64_t kMinInnerMtu = 1280;     // IPv6's minimum, as wg-quick allows
constexpr int64_t kMaxInnerMtu = 1420;     // 1500 on the wire less WireGuard's 80 bytes over IPv6 outer headers
constexpr uint64_t kMinRekeyAfterS = 5;    // REKEY_TIMEOUT: a handshake a rekey starts may need that long
constexpr uint64_t kMaxRekeyAfterS = 120;  // REKEY_AFTER_TIME: never later than WireGuard, 60 s before REJECT_AFTER

void read_private_key(Diagnostics& diag, const Field& f, const std::string& base_dir, OverlaySpec& spec) {
  auto rel = read_text(diag, item(f), "overlay private_key_file");
  if (!rel) return;
  const std::string path = (std::filesystem::path(base_dir) / *rel).lexically_normal().string();
  std::string why;
  auto key = wg::read_private_key_file(path, &why);
  if (!key) {
    diag.error(at(f), "overlay private_key_file: " + why);
    return;
  }
  spec.private_key_file = path;
  spec.public_key = wg::public_key_of(*key);
  key->fill(0);
}

// "IPv4:PORT" (a hub or peer has a fixed public address; names would need DNS at start).
void read_endpoint(Diagnostics& diag, const Field& f, const std::string& what, OverlaySpec& spec) {
  auto s = read_text(diag, item(f), what + " endpoint");
  if (!s) return;
  const size_t colon = s->rfind(':');
  const auto addr = colon == std::string::npos ? std::nullopt : parse_ip4(s->substr(0, colon));
  uint64_t port = 0;
  if (!addr || !parse_decimal(std::string_view(*s).substr(colon + 1), port) || port < 1 || port > 65535) {
    diag.error(at(f), fmt::format("{} endpoint \"{}\" is not IPv4:PORT (e.g. 198.51.100.7:51820)", what, *s));
    return;
  }
  spec.hub_address = *addr;
  spec.hub_port = static_cast<uint16_t>(port);
}

// "IPv4" or, as the hub's wg-quick Address reads, "IPv4/LEN": where the path probes through the tunnel go.
void read_inner_address(Diagnostics& diag, const Field& f, OverlaySpec& spec) {
  auto s = read_text(diag, item(f), "overlay hub inner_address");
  if (!s) return;
  const std::string_view text = std::string_view(*s).substr(0, s->find('/'));
  uint64_t len = 32;
  const auto addr = parse_ip4(text);
  if (!addr ||
      (s->size() > text.size() &&
       (!parse_decimal(std::string_view(*s).substr(text.size() + 1), len) || len < 1 || len > 32)) ||
      *addr == 0) {
    diag.error(at(f), fmt::format("overlay hub inner_address \"{}\" is not an IPv4 address (the Address of the hub's "
                                  "wg-quick config, e.g. 10.200.0.1/24)",
                                  *s));
    return;
  }
  spec.hub_inner_address = *addr;
}

void read_public_key(Diagnostics& diag, const Field& k, const std::string& what, OverlaySpec& spec) {
  if (auto s = read_text(diag, item(k), what + " public_key")) {
    if (auto key = wg::key_from_base64(*s))
      spec.hub_public_key = *key;
    else
      diag.error(at(k), what +
                            " public_key: not a WireGuard public key (44 characters of base64, as `wg pubkey` "
                            "prints it)");
  }
}

// A site peer's allowed_ips: IPv4 prefixes without host bits, at most kMaxOverlayPrefixes, none overlapping a LAN
// subnet of ours (a packet to our own LAN would be sealed to the peer, one from it refused as a martian).
void read_allowed_ips(Diagnostics& diag, const Field& f, const LanSpec& lan, OverlaySpec& spec) {
  const std::string what = "overlay peer allowed_ips";
  auto items = read_list(diag, item(f), what, true, false);
  if (!items) return;
  if (items->size() > kMaxOverlayPrefixes)
    diag.error(at(f),
               fmt::format("{} has {} prefixes; at most {} are supported", what, items->size(), kMaxOverlayPrefixes));
  for (const Item& e : *items) {
    auto s = read_text(diag, e, what);
    if (!s) continue;
    std::string why;
    auto p = parse_prefix(*s, why);
    if (!p) {
      diag.error(e.mark, fmt::format("{}: {}", what, why));
      continue;
    }
    if (p->v6) {
      diag.error(e.mark, fmt::format("{}: {} must be IPv4 (the overlay carries IPv4)", what, *s));
      continue;
    }
    const Ipv4Cidr c{p->p4.addr, p->p4.len};
    bool clash = false;
    for (const LanSubnetSpec& sub : lan.subnets)
      if (!clash && overlaps(c, sub.address)) {
        diag.error(e.mark, fmt::format("{}: {} overlaps our LAN subnet {}; the peer's prefixes must be its own", what,
                                       *s, net_str(sub.address)));
        clash = true;
      }
    if (!clash && items->size() <= kMaxOverlayPrefixes) spec.allowed_ips.push_back(c);
  }
}

// hub: {public_key, endpoint, inner_address?}, or peer: {public_key, allowed_ips, endpoint?} for another site.
void read_peer(Diagnostics& diag, const Field& f, bool site, const LanSpec& lan, OverlaySpec& spec) {
  const std::string what = site ? "overlay peer" : "overlay hub";
  auto m = site ? read_map(diag, item(f), what, {"public_key", "endpoint", "allowed_ips"})
                : read_map(diag, item(f), what, {"public_key", "endpoint", "inner_address"});
  if (!m) return;
  spec.site_peer = site;
  if (site) spec.hub_port = 0;  // no endpoint: learned
  if (const Field* k = m->get("public_key"))
    read_public_key(diag, *k, what, spec);
  else
    require_key(diag, *m, "public_key", what);
  if (const Field* e = m->get("endpoint"))
    read_endpoint(diag, *e, what, spec);
  else if (!site)
    require_key(diag, *m, "endpoint", what);
  if (!site) {
    if (const Field* a = m->get("inner_address")) read_inner_address(diag, *a, spec);
    return;
  }
  if (const Field* a = m->get("allowed_ips"))
    read_allowed_ips(diag, *a, lan, spec);
  else
    require_key(diag, *m, "allowed_ips", what);
}

// rekey_after_s: a lab and testing knob (WireGuard's 120 s, lower to watch rekeys happen). REJECT_AFTER_TIME (180 s)
// stays: a shorter interval only moves the rekey earlier, so keys are always renewed long before they expire.
void read_rekey_after(Diagnostics& diag, const Field& f, OverlaySpec& spec) {
  const auto parse = [](std::string_view s) {
    uint64_t v = 0;
    return parse_decimal(s, v) ? std::optional<uint64_t>(v) : std::nullopt;
  };
  const auto malformed = [](const std::string& s) { return fmt::format("must be whole seconds, got \"{}\"", s); };
  const auto v = read_bounded<uint64_t>(
      diag, item(f), "overlay rekey_after_s", parse, kMinRekeyAfterS, kMaxRekeyAfterS, malformed,
      fmt::format("{} to {} s (not below REKEY_TIMEOUT, the wait before an unanswered handshake is sent again; not "
                  "above WireGuard's REKEY_AFTER_TIME, so that keys are renewed well before REJECT_AFTER_TIME, 180 s)",
                  kMinRekeyAfterS, kMaxRekeyAfterS));
  if (v) spec.rekey_after_s = static_cast<uint32_t>(*v);
}

}  // namespace

void read_overlay(Diagnostics& diag, const Field& f, const std::string& base_dir, const LanSpec& lan,
                  OverlaySpec& spec) {
  auto m = read_map(diag, item(f), "overlay", {"hub", "peer", "private_key_file", "mtu", "rekey_after_s"});
  if (!m) return;
  spec.enabled = true;
  spec.loc = diag.loc(at(f));
  const Field* h = m->get("hub");
  const Field* p = m->get("peer");
  if (h != nullptr && p != nullptr)
    diag.error(at(*p), "overlay: hub and peer are two kinds of peer; give one (peer: another site, hub: a hub)");
  else if (h != nullptr || p != nullptr)
    read_peer(diag, h != nullptr ? *h : *p, p != nullptr, lan, spec);
  else
    require_key(diag, *m, "hub", "overlay");
  if (const Field* k = m->get("private_key_file"))
    read_private_key(diag, *k, base_dir, spec);
  else
    require_key(diag, *m, "private_key_file", "overlay");
  if (const Field* mt = m->get("mtu"))
    if (auto v = read_integer(diag, item(*mt), "overlay mtu", kMinInnerMtu, kMaxInnerMtu))
      spec.mtu = static_cast<uint16_t>(*v);
  if (const Field* r = m->get("rekey_after_s")) read_rekey_after(diag, *r, spec);
  if (spec.public_key == spec.hub_public_key && spec.hub_public_key != decltype(spec.hub_public_key){})
    diag.error(at(f), fmt::format("overlay: the {}'s public_key is our own (the private key file's); give the {}'s key",
                                  spec.site_peer ? "peer" : "hub", spec.site_peer ? "peer" : "hub"));
}

}  // namespace wansteer::policy_reader
