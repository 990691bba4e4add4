// The metrics section: where the Prometheus exporter listens.
#include "control/operations/metrics.hpp"
#include "control/policy/sections.hpp"

namespace wansteer::policy_reader {

void read_metrics(Diagnostics& diag, const Field& f, MetricsSpec& spec) {
  auto m = read_map(diag, item(f), "metrics", {"listen"});
  if (!m) return;
  if (const Field* l = m->get("listen")) {
    if (auto s = read_text(diag, item(*l), "metrics listen")) {
      if (std::string why; valid_listen_address(*s, &why))
        spec.listen = *s;
      else
        diag.error(at(*l), "metrics listen: " + why);
    }
  }
}

}  // namespace wansteer::policy_reader
