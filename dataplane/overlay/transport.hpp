// Transport data messages (whitepaper 5.4.6): seal an inner packet into a caller's buffer, open one back. Per packet,
// so neither allocates, throws nor logs: the outcome is a small enum the caller counts.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/overlay/chacha_poly.hpp"
#include "dataplane/overlay/keypair.hpp"

namespace wansteer::wg {

enum class SealResult : uint8_t { ok, no_room, counter_exhausted, crypto_failed };
// replayed: a counter behind the replay window; duplicate: an authentic message whose counter the window already
// took (the second copy of a duplicated packet, or a replay of a recent one: the two look the same).
enum class OpenResult : uint8_t { ok, malformed, wrong_index, replayed, duplicate, bad_tag, no_room };

// Bytes a sealed message of an inner packet of len bytes takes: header, padded payload, tag.
constexpr size_t sealed_size(size_t len) {
  return kTransportHeaderSize + (len + kPaddingMultiple - 1) / kPaddingMultiple * kPaddingMultiple + kTagSize;
}

// Seals len bytes at inner (may lie at out + kTransportHeaderSize: sealed in place) into out, using and advancing
// kp.send_counter. An empty inner packet is a keepalive. *out_len receives sealed_size(len).
SealResult seal_transport(ChaChaPoly& aead, Keypair& kp, const uint8_t* inner, size_t len, uint8_t* out, size_t out_cap,
                          size_t* out_len);

// The same with a counter the caller reserved (CounterLease): how workers seal when several share one keypair.
SealResult seal_transport_at(ChaChaPoly& aead, const Key& send_key, uint32_t remote_index, uint64_t counter,
                             const uint8_t* inner, size_t len, uint8_t* out, size_t out_cap, size_t* out_len);

// Opens a transport message addressed to kp.local_index: *inner_len receives the padded inner length (the inner IP
// header says how much of it is the packet; 0 is a keepalive). The replay window moves only for an authentic one,
// and a repeated counter is reported (duplicate) only for an authentic one.
OpenResult open_transport(ChaChaPoly& aead, Keypair& kp, const uint8_t* msg, size_t len, uint8_t* out, size_t out_cap,
                          size_t* inner_len);

// The same with a published keypair's receive key and index and the caller's own (per-core) replay window for it.
OpenResult open_transport_with(ChaChaPoly& aead, const Key& recv_key, uint32_t local_index, ReplayWindow& replay,
                               const uint8_t* msg, size_t len, uint8_t* out, size_t out_cap, size_t* inner_len);

}  // namespace wansteer::wg
