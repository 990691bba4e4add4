// A class's rate limits as the policy writes them: limit: {rate, burst, peak_rate, ...} and on_backup.
#include "control/policy/class_limits.hpp"

#include <fmt/format.h>

#include "control/policy/value_readers.hpp"

namespace wansteer::policy_reader {

namespace {

constexpr uint64_t kMinBurst = 1514;        // one full frame: a smaller bucket could never pass one
constexpr uint64_t kMaxBurst = 1000000000;  // 1 GB

// peak_rate and peak_burst: the second rate of a two-rate meter.
bool read_peak(Diagnostics& diag, const Fields& m, const std::string& what, RateLimitSpec& r) {
  bool ok = true;
  if (const Field* f = m.get("peak_rate")) {
    if (auto v = read_rate(diag, item(*f), what + " peak_rate")) {
      r.peak_rate_bps = *v;
      if (r.rate_bps && *v < r.rate_bps) {
        diag.error(at(*f),
                   fmt::format("{}: peak_rate {} is below rate {}; the peak must be at least the committed rate", what,
                               f->value.Scalar(), m.get("rate")->value.Scalar()));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = m.get("peak_burst")) {
    if (!m.get("peak_rate")) {
      diag.error(at(*f), fmt::format("{}: peak_burst needs peak_rate", what));
      ok = false;
    } else if (auto v = read_size(diag, item(*f), what + " peak_burst", kMinBurst, kMaxBurst)) {
      r.peak_burst_bytes = *v;
    } else {
      ok = false;
    }
  }
  return ok;
}

// exceed and remark_dscp: what happens to traffic above the limit.
bool read_exceed(Diagnostics& diag, const Fields& m, const std::string& what, RateLimitSpec& r) {
  bool ok = true;
  if (const Field* f = m.get("exceed")) {
    if (auto s = read_text(diag, item(*f), what + " exceed")) {
      if (*s == "remark")
        r.remark = true;
      else if (*s != "drop") {
        diag.error(at(*f), fmt::format("{}: exceed \"{}\" must be drop or remark", what, *s));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = m.get("remark_dscp")) {
    if (!r.remark) {
      diag.error(at(*f), fmt::format("{}: remark_dscp is only used with exceed: remark", what));
      ok = false;
    } else if (auto v = read_dscp_value(diag, item(*f), what + " remark_dscp")) {
      r.remark_dscp = *v;
    } else {
      ok = false;
    }
  }
  return ok;
}

}  // namespace

std::optional<RateLimitSpec> read_rate_limit(Diagnostics& diag, const Item& it, const std::string& what) {
  auto m = read_map(diag, it, what, {"rate", "burst", "peak_rate", "peak_burst", "exceed", "remark_dscp"});
  if (!m) return std::nullopt;
  RateLimitSpec r;
  bool ok = require_key(diag, *m, "rate", what);
  if (const Field* f = m->get("rate")) {
    if (auto v = read_rate(diag, item(*f), what + " rate"))
      r.rate_bps = *v;
    else
      ok = false;
  }
  if (const Field* f = m->get("burst")) {
    if (auto v = read_size(diag, item(*f), what + " burst", kMinBurst, kMaxBurst))
      r.burst_bytes = *v;
    else
      ok = false;
  }
  ok &= read_peak(diag, *m, what, r);
  ok &= read_exceed(diag, *m, what, r);
  if (!ok) return std::nullopt;
  return r;
}

void read_on_backup(Diagnostics& diag, const Field& f, const std::string& what, ClassLimitSpec& spec) {
  if (f.value.IsScalar()) {
    const std::string& s = f.value.Scalar();
    if (s == "block")
      spec.on_backup = BackupMode::block;
    else if (s == "unlimited")
      spec.on_backup = BackupMode::unlimited;
    else
      diag.error(at(f), fmt::format("{}: on_backup \"{}\" must be block, unlimited or a map with limit", what, s));
    return;
  }
  auto m = read_map(diag, item(f), what + " on_backup", {"limit"});
  if (!m) return;
  if (!require_key(diag, *m, "limit", what + " on_backup")) return;
  if (auto r = read_rate_limit(diag, item(*m->get("limit")), what + " on_backup limit")) {
    spec.on_backup = BackupMode::limit;
    spec.backup_limit = *r;
  }
}

// A plain rate ("64kbit") is a limit at that rate; a map is a full rate limit as under limit:.
void read_on_budget_exhausted(Diagnostics& diag, const Field& f, const std::string& what, ClassLimitSpec& spec) {
  const std::string sub = what + " on_budget_exhausted";
  if (f.value.IsScalar()) {
    if (auto c = read_choice(diag, item(f), sub, {"block", "allow"}))
      spec.on_budget = *c == "block" ? BudgetAction::block : BudgetAction::allow;
    return;
  }
  auto m = read_map(diag, item(f), sub, {"limit"});
  if (!m || !require_key(diag, *m, "limit", sub)) return;
  const Field& l = *m->get("limit");
  std::optional<RateLimitSpec> r;
  if (l.value.IsScalar()) {
    if (auto rate = read_rate(diag, item(l), sub + " limit")) r = RateLimitSpec{.rate_bps = *rate};
  } else {
    r = read_rate_limit(diag, item(l), sub + " limit");
  }
  if (!r) return;
  spec.on_budget = BudgetAction::limit;
  spec.budget_limit = *r;
}

}  // namespace wansteer::policy_reader
