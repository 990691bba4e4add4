// Where each field sits in a STAMP packet, and the field writers and readers both codecs (stamp.cpp for the 44-byte
// unauthenticated packets, stamp_auth.cpp for the 112-byte authenticated ones) share: only the offsets differ.
#pragma once
#include <cstddef>
#include <cstdint>

#include "control/health/stamp.hpp"

namespace wansteer::stamp::fields {

struct SenderLayout {
  size_t seq, timestamp, error_estimate;
};
struct ReflectorLayout {
  size_t seq, timestamp, error_estimate, receive_timestamp, sender_seq, sender_timestamp, sender_error_estimate,
      sender_ttl;
};

// Network byte order at the layout's offsets; bytes in between are left as they are (callers zero them first).
void write_sender(const SenderPacket& p, const SenderLayout& at, uint8_t* out);
void read_sender(const uint8_t* data, const SenderLayout& at, SenderPacket* out);
void write_reflector(const ReflectorPacket& p, const ReflectorLayout& at, uint8_t* out);
void read_reflector(const uint8_t* data, const ReflectorLayout& at, ReflectorPacket* out);

}  // namespace wansteer::stamp::fields
