// The keys of one WireGuard peer as the workers see them, published by control in the data plane snapshot: the
// keypair to seal with and the (up to three) keypairs to open with, found by the receiver index in the message.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/overlay/keypair.hpp"
#include "dataplane/overlay/send_counter.hpp"

namespace wansteer::wg {

// One session's transport keys. Immutable once published, except the send counter (atomic). Freed by control after
// the RCU grace period of the last snapshot that holds it; the destructor wipes the keys.
struct TransportKeys {
  Key send_key{};
  Key recv_key{};
  uint32_t local_index = 0;   // the receiver index of messages to us
  uint32_t remote_index = 0;  // the receiver index we put in messages to the peer
  uint64_t serial = 0;        // unique in the process: per-core state (replay window) follows a keypair by it
  uint64_t created_ns = 0;    // on control's clock
  bool we_initiated = false;
  mutable SendCounter counter;  // dp: reserve (atomic); cp: used()
  // dp: set by the first worker that opens a message with these keys (tested first, so stored once per keypair:
  // no cache line bouncing); cp: reads it to confirm a responder's "next" keypair (WgSession::on_received).
  mutable std::atomic<bool> opened{false};

  TransportKeys() = default;
  TransportKeys(const TransportKeys&) = delete;
  TransportKeys& operator=(const TransportKeys&) = delete;
  ~TransportKeys();
};

// What a worker needs for one peer. Slots are WireGuard's: current (sends and receives), previous (receives only, so
// packets sealed before a rekey still open), next (a responder's new keypair, receives only until the peer's first
// message with it confirms it).
struct PeerKeysView {
  enum Slot : uint8_t { kCurrent = 0, kPrevious = 1, kNext = 2, kSlots = 3 };
  std::shared_ptr<const TransportKeys> send;  // null: nothing may be sealed now (no session yet, or it expired)
  std::array<std::shared_ptr<const TransportKeys>, kSlots> receive;

  // The keypair a transport message with this receiver index is for, or null.
  const TransportKeys* receiving(uint32_t local_index) const {
    for (const auto& k : receive)
      if (k && k->local_index == local_index) return k.get();
    return nullptr;
  }
};

}  // namespace wansteer::wg
