// The anti-replay sliding window of a receiving keypair (RFC 6479, as WireGuard's kernel module does it): a ring of
// 8192 bits, so counters up to 8128 behind the newest are still taken once each, in any order. Per core, no atomics.
// A refused counter is told apart: one already taken inside the window (the second copy of a duplicated message)
// from one too old for the window to know (a replay, or a message delayed past 8128 newer ones).
#pragma once

#include <array>
#include <cstdint>

namespace wansteer::wg {

// No counter at or above this is ever accepted (the whitepaper's REJECT_AFTER_MESSAGES).
inline constexpr uint64_t kRejectAfterMessages = UINT64_MAX - (uint64_t{1} << 13);

// What the window says of a counter.
enum class ReplayVerdict : uint8_t {
  fresh,      // not seen: taken (accept) or would be (check)
  duplicate,  // inside the window and already taken: a second copy (duplicate:), or a replay of a recent message
  too_old,    // behind the window (or at REJECT_AFTER_MESSAGES): cannot be told from a replay, refused as one
};

class ReplayWindow {
 public:
  static constexpr unsigned kBitsTotal = 8192;
  static constexpr unsigned kWordBits = 64;
  static constexpr unsigned kWords = kBitsTotal / kWordBits;
  static constexpr uint64_t kWindow = kBitsTotal - kWordBits;  // counters this far behind the newest still count

  // What accept() would say now; changes nothing (call before spending time on decryption: too_old never opens).
  ReplayVerdict classify(uint64_t counter) const;
  bool check(uint64_t counter) const { return classify(counter) == ReplayVerdict::fresh; }
  // Takes counter once: fresh the first time, duplicate for a repeat inside the window, too_old behind it. Call only
  // after the tag verified, so that a forged message cannot take a counter its genuine copy then finds taken.
  ReplayVerdict take(uint64_t counter);
  bool accept(uint64_t counter) { return take(counter) == ReplayVerdict::fresh; }
  void reset();
  // One past the greatest counter accepted (0: none yet).
  uint64_t next() const { return next_; }

 private:
  uint64_t next_ = 0;  // one past the greatest counter accepted
  std::array<uint64_t, kWords> bits_{};
};

}  // namespace wansteer::wg
