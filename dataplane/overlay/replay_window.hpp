// The anti-replay sliding window of a receiving keypair (RFC 6479, as WireGuard's kernel module does it): a ring of
// 8192 bits, so counters up to 8128 behind the newest are still taken once each, in any order. Per core, no atomics.
#pragma once

#include <array>
#include <cstdint>

namespace wansteer::wg {

// No counter at or above this is ever accepted (the whitepaper's REJECT_AFTER_MESSAGES).
inline constexpr uint64_t kRejectAfterMessages = UINT64_MAX - (uint64_t{1} << 13);

class ReplayWindow {
 public:
  static constexpr unsigned kBitsTotal = 8192;
  static constexpr unsigned kWordBits = 64;
  static constexpr unsigned kWords = kBitsTotal / kWordBits;
  static constexpr uint64_t kWindow = kBitsTotal - kWordBits;  // counters this far behind the newest still count

  // Whether counter would be accepted now; changes nothing (call before spending time on decryption).
  bool check(uint64_t counter) const;
  // Accepts counter once: true the first time, false for a repeat or one too old. Call after the tag verified.
  bool accept(uint64_t counter);
  void reset();
  // One past the greatest counter accepted (0: none yet).
  uint64_t next() const { return next_; }

 private:
  uint64_t next_ = 0;  // one past the greatest counter accepted
  std::array<uint64_t, kWords> bits_{};
};

}  // namespace wansteer::wg
