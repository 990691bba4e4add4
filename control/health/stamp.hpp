// STAMP (RFC 8762) test packets, unauthenticated mode: pure encode/decode of the 44-byte sender and reflector
// packets and the NTP timestamps they carry. No sockets, no DPDK: the prober and wansteer-reflector both use it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace wansteer::stamp {

inline constexpr uint16_t kPort = 862;
inline constexpr size_t kPacketSize = 44;  // both sender and reflector test packets, unauthenticated

// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
inline constexpr uint64_t kNtpUnixOffsetS = 2208988800ull;

// 64-bit NTP timestamp (RFC 5905): upper 32 bits seconds since 1900, lower 32 bits binary fraction of a second.
// Era 0 only (wraps in 2036, like every NTP-format STAMP implementation); sub-nanosecond rounding truncates.
uint64_t ntp_from_unix_ns(uint64_t unix_ns);
uint64_t unix_ns_from_ntp(uint64_t ntp);

struct SenderPacket {
  uint32_t seq = 0;
  uint64_t timestamp = 0;  // NTP format when the error estimate's Z bit is 0
  uint16_t error_estimate = 0;
};

struct ReflectorPacket {
  uint32_t seq = 0;        // the reflector's own counter (stateful mode), or the sender's (stateless)
  uint64_t timestamp = 0;  // transmit time at the reflector
  uint16_t error_estimate = 0;
  uint64_t receive_timestamp = 0;  // when the reflector received the sender's packet
  uint32_t sender_seq = 0;         // copied from the sender's packet
  uint64_t sender_timestamp = 0;
  uint16_t sender_error_estimate = 0;
  uint8_t sender_ttl = 0;  // TTL / hop limit of the sender's packet as received
};

// Byte offsets in the packets (RFC 8762 sections 4.2.1 and 4.3.1); every other byte is MBZ (must be zero).
namespace offset {
inline constexpr size_t kSeq = 0, kTimestamp = 4, kErrorEstimate = 12;
inline constexpr size_t kReceiveTimestamp = 16, kSenderSeq = 24, kSenderTimestamp = 28, kSenderErrorEstimate = 36,
                        kSenderTtl = 40;
}  // namespace offset

void encode_sender(const SenderPacket& p, uint8_t out[kPacketSize]);     // network byte order, MBZ zeroed
bool decode_sender(const uint8_t* data, size_t len, SenderPacket* out);  // false when len < 44
void encode_reflector(const ReflectorPacket& p, uint8_t out[kPacketSize]);
bool decode_reflector(const uint8_t* data, size_t len, ReflectorPacket* out);  // false when len < 44

// Error Estimate (RFC 4656 section 4.1.2, used as is by RFC 8762): S(1) Z(1) Scale(6) Multiplier(8),
// error = Multiplier * 2^(Scale - 32) seconds.
inline constexpr uint16_t kErrorS = 0x8000;  // clock synchronised to an external UTC source
inline constexpr uint16_t kErrorZ = 0x4000;  // timestamps in PTPv2 truncated format instead of NTP
double error_estimate_seconds(uint16_t e);

// Our choice: S=0, because nothing here knows whether the host clock is disciplined by NTP/PTP and the RFC asks
// for S=1 only when it is; Z=0 (NTP format, which is what we write); Scale=22, Multiplier=1, i.e. 2^-10 s ~ 0.98 ms:
// CLOCK_REALTIME read in software around recvmsg/sendto is good to well under a millisecond on a quiet host, and
// the RFC forbids Multiplier 0. Two-way metrics (RTT, jitter) do not depend on the absolute clock anyway.
uint16_t default_error_estimate();

}  // namespace wansteer::stamp
