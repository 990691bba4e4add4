// The Noise_IKpsk2 handshake of WireGuard (whitepaper 5.4.2-5.4.4): build and read an initiation and a response,
// ending in the transport keys of a session. mac1/mac2 are left zero here; cookie.hpp adds and checks them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "dataplane/overlay/keypair.hpp"

namespace wansteer::wg {

using Tai64n = std::array<uint8_t, kTimestampSize>;

// TAI64N of a time since the Unix epoch (what initiations carry, so a responder can refuse a replayed one).
Tai64n tai64n(uint64_t unix_ns);

struct Identity {
  Key private_key{};
  Key public_key{};
};

// What the initiator keeps between sending an initiation and reading the response.
struct InitiatorState {
  Key chaining_key{};
  Key hash{};
  Key ephemeral_private{};
  uint32_t sender_index = 0;
  Key peer_public{};
};

// What a responder learns from a valid initiation.
struct InitiationSeen {
  Key chaining_key{};
  Key hash{};
  Key remote_ephemeral{};
  Key remote_static{};  // who sent it: look the peer up by this key
  uint32_t remote_index = 0;
  Tai64n timestamp{};
};

struct SessionKeys {
  Key send_key{};
  Key recv_key{};
  uint32_t local_index = 0;
  uint32_t remote_index = 0;
  bool we_initiated = false;
};

// Writes a 148-byte initiation from local to peer_public.
bool create_initiation(const Identity& local, const Key& peer_public, uint32_t sender_index, const Tai64n& now,
                       uint8_t msg[kInitiationSize], InitiatorState* state);
// Reads an initiation addressed to local: nullopt unless both encrypted fields authenticate.
std::optional<InitiationSeen> consume_initiation(const Identity& local, const uint8_t* msg, size_t len);
// Answers a consumed initiation with a 92-byte response; *keys are the responder's session keys.
bool create_response(const InitiationSeen& seen, const Key& psk, uint32_t sender_index, uint8_t msg[kResponseSize],
                     SessionKeys* keys);
// Reads the response to state's initiation: nullopt unless it authenticates.
std::optional<SessionKeys> consume_response(const Identity& local, const InitiatorState& state, const Key& psk,
                                            const uint8_t* msg, size_t len);

}  // namespace wansteer::wg
