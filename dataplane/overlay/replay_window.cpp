// RFC 6479 window: moving forward clears only the words passed over, so a jump costs at most kWords stores.
#include "dataplane/overlay/replay_window.hpp"

#include <algorithm>

namespace wansteer::wg {

ReplayVerdict ReplayWindow::classify(uint64_t counter) const {
  if (counter >= kRejectAfterMessages) return ReplayVerdict::too_old;
  const uint64_t c = counter + 1;  // counters are stored one up, so that 0 is a valid counter
  if (c > next_) return ReplayVerdict::fresh;
  if (kWindow + c < next_) return ReplayVerdict::too_old;
  const uint64_t word = bits_[(c / kWordBits) % kWords];
  return (word & (uint64_t{1} << (c % kWordBits))) == 0 ? ReplayVerdict::fresh : ReplayVerdict::duplicate;
}

ReplayVerdict ReplayWindow::take(uint64_t counter) {
  if (const ReplayVerdict v = classify(counter); v != ReplayVerdict::fresh) return v;
  const uint64_t c = counter + 1;
  if (c > next_) {
    const uint64_t current = next_ / kWordBits;
    const uint64_t steps = std::min<uint64_t>(c / kWordBits - current, kWords);
    for (uint64_t i = 1; i <= steps; i++) bits_[(current + i) % kWords] = 0;
    next_ = c;
  }
  bits_[(c / kWordBits) % kWords] |= uint64_t{1} << (c % kWordBits);
  return ReplayVerdict::fresh;
}

void ReplayWindow::reset() {
  next_ = 0;
  bits_.fill(0);
}

}  // namespace wansteer::wg
