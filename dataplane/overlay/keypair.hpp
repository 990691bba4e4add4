// The transport keys of one WireGuard session (what a completed handshake hands to the data plane): both directions'
// keys, the two session indices, the send counter and the receive replay window.
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/overlay/replay_window.hpp"
#include "dataplane/overlay/wg_wire.hpp"

namespace wansteer::wg {

using Key = std::array<uint8_t, kKeySize>;

struct Keypair {
  Key send_key{};
  Key recv_key{};
  uint32_t local_index = 0;   // the index peers put in messages to us
  uint32_t remote_index = 0;  // the index we put in messages to the peer
  bool we_initiated = false;  // only the initiator's side rekeys on age (whitepaper 6.2)
  uint64_t created_ns = 0;    // on the caller's clock
  uint64_t send_counter = 0;  // next counter to use
  ReplayWindow replay;
};

}  // namespace wansteer::wg
