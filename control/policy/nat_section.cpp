// The nat section: the NAT session table's size per worker, the per-host cap and the idle timeouts, with the
// RFC minimums as lower bounds (RFC 4787 REQ-5, RFC 5382 REQ-5) so a policy cannot break long-lived sessions.
#include "control/policy/sections.hpp"

namespace wansteer::policy_reader {

namespace {

constexpr uint32_t kMinSessions = 4;
constexpr uint32_t kMaxSessions = 4194304;
constexpr uint32_t kDay = 86400;

// One integer key of the section, within [lo, hi], into `out`.
void read_key(Diagnostics& diag, const Fields& m, const char* key, int64_t lo, int64_t hi, uint32_t& out) {
  if (const Field* f = m.get(key))
    if (auto v = read_integer(diag, item(*f), std::string("nat ") + key, lo, hi)) out = static_cast<uint32_t>(*v);
}

}  // namespace

void read_nat(Diagnostics& diag, const Field& f, NatSpec& spec) {
  auto m = read_map(diag, item(f), "nat",
                    {"sessions", "per_host", "udp_timeout_s", "tcp_established_timeout_s", "tcp_transitory_timeout_s",
                     "icmp_timeout_s"});
  if (!m) return;
  read_key(diag, *m, "sessions", kMinSessions, kMaxSessions, spec.sessions);
  read_key(diag, *m, "per_host", 1, kMaxSessions, spec.per_host);
  read_key(diag, *m, "udp_timeout_s", 120, kDay, spec.udp_timeout_s);
  read_key(diag, *m, "tcp_established_timeout_s", 7440, 30 * kDay, spec.tcp_established_timeout_s);
  read_key(diag, *m, "tcp_transitory_timeout_s", 240, kDay, spec.tcp_transitory_timeout_s);
  read_key(diag, *m, "icmp_timeout_s", 60, kDay, spec.icmp_timeout_s);
}

}  // namespace wansteer::policy_reader
