// The overlay section (issue 13): the WireGuard hub every link can reach and our key. Checked at load so that a
// wrong key or endpoint is reported at its line, not found later as a tunnel that never comes up; the private key
// itself is only checked here (readable by root only, a valid key) and never kept in the policy or printed.
#include <fmt/format.h>

#include <filesystem>

#include "control/overlay/private_key_file.hpp"
#include "control/overlay/x25519.hpp"
#include "control/policy/sections.hpp"
#include "control/policy/value_parsers.hpp"
#include "control/policy/value_readers.hpp"

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

// "IPv4:PORT" (a hub has a fixed public address; names would need DNS at start).
void read_endpoint(Diagnostics& diag, const Field& f, OverlaySpec& spec) {
  auto s = read_text(diag, item(f), "overlay hub endpoint");
  if (!s) return;
  const size_t colon = s->rfind(':');
  const auto addr = colon == std::string::npos ? std::nullopt : parse_ip4(s->substr(0, colon));
  uint64_t port = 0;
  if (!addr || !parse_decimal(std::string_view(*s).substr(colon + 1), port) || port < 1 || port > 65535) {
    diag.error(at(f), fmt::format("overlay hub endpoint \"{}\" is not IPv4:PORT (e.g. 198.51.100.7:51820)", *s));
    return;
  }
  spec.hub_address = *addr;
  spec.hub_port = static_cast<uint16_t>(port);
}

void read_hub(Diagnostics& diag, const Field& f, OverlaySpec& spec) {
  auto m = read_map(diag, item(f), "overlay hub", {"public_key", "endpoint"});
  if (!m) return;
  if (const Field* k = m->get("public_key")) {
    if (auto s = read_text(diag, item(*k), "overlay hub public_key")) {
      if (auto key = wg::key_from_base64(*s))
        spec.hub_public_key = *key;
      else
        diag.error(at(*k),
                   "overlay hub public_key: not a WireGuard public key (44 characters of base64, as "
                   "`wg pubkey` prints it)");
    }
  } else {
    require_key(diag, *m, "public_key", "overlay hub");
  }
  if (const Field* e = m->get("endpoint"))
    read_endpoint(diag, *e, spec);
  else
    require_key(diag, *m, "endpoint", "overlay hub");
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

void read_overlay(Diagnostics& diag, const Field& f, const std::string& base_dir, OverlaySpec& spec) {
  auto m = read_map(diag, item(f), "overlay", {"hub", "private_key_file", "mtu", "rekey_after_s"});
  if (!m) return;
  spec.enabled = true;
  spec.loc = diag.loc(at(f));
  if (const Field* h = m->get("hub"))
    read_hub(diag, *h, spec);
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
    diag.error(at(f), "overlay: the hub's public_key is our own (the private key file's); give the hub's key");
}

}  // namespace wansteer::policy_reader
