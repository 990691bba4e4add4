// A worker's replay windows for one peer's receive keypairs (per core): each window follows its keypair by serial as
// the keypair moves between slots (next -> current -> previous), and a keypair new to the view gets a fresh one.
// Per core, so the second copy of a duplicated message is found (ReplayVerdict::duplicate) only on the core that took
// the first: copies over two links that land on two cores are both delivered (see overlay_decap.hpp).
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/overlay/transport_keys.hpp"

namespace wansteer::wg {

class PeerReplayWindows {
 public:
  // The window for k, one of view's receive keypairs. A keypair seen for the first time takes the window of one that
  // has left the view (there is always one: a slot more than the view has), reset.
  ReplayWindow& window_for(const TransportKeys& k, const PeerKeysView& view) {
    Entry* free_entry = nullptr;
    for (Entry& e : entries_) {
      if (e.serial == k.serial) return e.window;
      if (free_entry == nullptr && !in_view(e.serial, view)) free_entry = &e;
    }
    free_entry->serial = k.serial;  // non-null: kSlots keypairs in view, one entry more
    free_entry->window.reset();
    return free_entry->window;
  }

 private:
  struct Entry {
    uint64_t serial = 0;  // 0: unused (serials start at 1)
    ReplayWindow window;
  };
  static bool in_view(uint64_t serial, const PeerKeysView& view) {
    if (serial == 0) return false;
    for (const auto& r : view.receive)
      if (r && r->serial == serial) return true;
    return false;
  }
  std::array<Entry, PeerKeysView::kSlots + 1> entries_{};
};

}  // namespace wansteer::wg
