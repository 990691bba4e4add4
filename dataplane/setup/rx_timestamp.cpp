// Registration of the receive-TSC mbuf dynamic field.
#include "dataplane/rx_timestamp.hpp"

#include <rte_errno.h>

namespace wansteer {

int g_rx_tsc_offset = -1;

bool register_rx_tsc_field(std::string* error) {
  if (g_rx_tsc_offset >= 0) return true;
  static const rte_mbuf_dynfield desc = {"wansteer_rx_tsc", sizeof(uint64_t), alignof(uint64_t), 0};
  int off = rte_mbuf_dynfield_register(&desc);
  if (off < 0) {
    *error = std::string("cannot register the rx timestamp mbuf field: ") + rte_strerror(rte_errno);
    return false;
  }
  g_rx_tsc_offset = off;
  return true;
}

}  // namespace wansteer
