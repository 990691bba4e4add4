// The overlay's anti-replay window (RFC 6479 cases) and WireGuard's timer state machine on an injected clock.
#include <catch2/catch.hpp>

#include "control/overlay/wg_timers.hpp"
#include "dataplane/overlay/replay_window.hpp"

using namespace wansteer;
using wg::ReplayWindow;

TEST_CASE("replay window: in order, out of order, duplicates, too old, far jumps", "[overlay_replay]") {
  ReplayWindow w;
  CHECK(w.accept(0));
  CHECK_FALSE(w.accept(0));
  CHECK(w.accept(2));
  CHECK(w.accept(1));  // late but inside the window
  CHECK_FALSE(w.accept(1));
  CHECK(w.check(3));
  CHECK(w.check(3));  // check alone changes nothing
  CHECK(w.accept(3));

  // Jump ahead; the oldest still accepted is kWindow behind the newest.
  const uint64_t top = 10'000;
  CHECK(w.accept(top));
  CHECK(w.accept(top - ReplayWindow::kWindow));
  CHECK_FALSE(w.accept(top - ReplayWindow::kWindow - 1));
  CHECK_FALSE(w.accept(5));
  CHECK(w.accept(top - 1));
  CHECK_FALSE(w.accept(top - 1));

  // A jump by more than the whole ring clears every bit: counters just behind the new top are all fresh.
  const uint64_t far = top + 5 * ReplayWindow::kBitsTotal + 17;
  CHECK(w.accept(far));
  for (uint64_t c = far - 100; c < far; c++) CHECK(w.accept(c));
  CHECK_FALSE(w.accept(far - 50));
  CHECK_FALSE(w.accept(top));

  CHECK_FALSE(w.accept(wg::kRejectAfterMessages));
  w.reset();
  CHECK(w.accept(0));
}

TEST_CASE("replay window: a counter taken inside the window is a duplicate, one behind it too old",
          "[overlay_replay]") {
  using wg::ReplayVerdict;
  ReplayWindow w;
  CHECK(w.take(0) == ReplayVerdict::fresh);
  CHECK(w.take(0) == ReplayVerdict::duplicate);  // the second copy of a duplicated message
  CHECK(w.take(5) == ReplayVerdict::fresh);
  CHECK(w.classify(3) == ReplayVerdict::fresh);  // skipped, still inside: a late first copy is taken
  CHECK(w.take(3) == ReplayVerdict::fresh);
  CHECK(w.take(3) == ReplayVerdict::duplicate);
  CHECK(w.classify(5) == ReplayVerdict::duplicate);

  const uint64_t top = 20'000;
  CHECK(w.take(top) == ReplayVerdict::fresh);
  // The oldest counter the window still knows: taken once, then a duplicate; one further back is too old, whether it
  // was ever taken (5) or not (top - kWindow - 1).
  CHECK(w.take(top - ReplayWindow::kWindow) == ReplayVerdict::fresh);
  CHECK(w.take(top - ReplayWindow::kWindow) == ReplayVerdict::duplicate);
  CHECK(w.take(top - ReplayWindow::kWindow - 1) == ReplayVerdict::too_old);
  CHECK(w.take(5) == ReplayVerdict::too_old);
  CHECK(w.classify(wg::kRejectAfterMessages) == ReplayVerdict::too_old);
  // Neither verdict moved the window: the newest is still top.
  CHECK(w.take(top) == ReplayVerdict::duplicate);
  CHECK(w.take(top - 1) == ReplayVerdict::fresh);
}

TEST_CASE("replay window: every counter of a shuffled stream once, none twice", "[overlay_replay]") {
  ReplayWindow w;
  // Reordered by up to 64 within blocks of 64 (as two links with different delays would reorder): all accepted.
  int accepted = 0, repeated = 0;
  for (uint64_t block = 0; block < 200; block++)
    for (uint64_t i = 0; i < 64; i++) accepted += w.accept(block * 64 + (i * 37) % 64);
  for (uint64_t c = 200 * 64 - 1000; c < 200 * 64; c++) repeated += w.accept(c);
  CHECK(accepted == 200 * 64);
  CHECK(repeated == 0);
}

TEST_CASE("timers: REKEY_TIMEOUT retransmits, then gives up after REKEY_ATTEMPT_TIME", "[overlay_timers]") {
  wg::WgTimers t;
  uint64_t now = 1'000 * wg::kSecondNs;
  CHECK(t.may_initiate(now));
  t.on_initiation_sent(now, 0, false);
  CHECK_FALSE(t.may_initiate(now + wg::kRekeyTimeoutNs - 1));
  CHECK(t.tick(now + wg::kRekeyTimeoutNs - 1) == wg::kNothing);
  unsigned retries = 0;
  for (int i = 0; i < 40; i++) {
    now += wg::kRekeyTimeoutNs;
    const uint8_t due = t.tick(now);
    if (due & wg::kGiveUp) break;
    REQUIRE(due & wg::kSendInitiation);
    retries++;
    t.on_initiation_sent(now, 0, true);
  }
  CHECK(retries == wg::kMaxHandshakeAttempts);
  CHECK_FALSE(t.handshake_pending());
  // Given up: no more initiations; keys are zeroed 3 x REJECT_AFTER_TIME later.
  CHECK((t.tick(now + wg::kRekeyTimeoutNs) & wg::kSendInitiation) == 0);
  CHECK(t.tick(now + 3 * wg::kRejectAfterTimeNs) & wg::kZeroKeys);
}

TEST_CASE("timers: a completed handshake stops the retransmits; jitter delays them", "[overlay_timers]") {
  wg::WgTimers t;
  const uint64_t now = 50 * wg::kSecondNs;
  t.on_initiation_sent(now, 300'000'000, false);
  CHECK(t.tick(now + wg::kRekeyTimeoutNs) == wg::kNothing);
  CHECK(t.tick(now + wg::kRekeyTimeoutNs + 300'000'000) & wg::kSendInitiation);
  t.on_initiation_sent(now + 6 * wg::kSecondNs, 0, true);
  CHECK(t.handshake_attempts() == 1);
  t.on_handshake_complete(now + 6 * wg::kSecondNs + 1);
  CHECK(t.handshake_attempts() == 0);
  CHECK(t.last_handshake_ns() == now + 6 * wg::kSecondNs + 1);
  CHECK(t.tick(now + 60 * wg::kSecondNs) == wg::kNothing);
}

TEST_CASE("timers: passive keepalive after receiving, none when we sent meanwhile", "[overlay_timers]") {
  wg::WgTimers t;
  const uint64_t now = 10 * wg::kSecondNs;
  t.on_data_received(now);
  CHECK(t.tick(now + wg::kKeepaliveTimeoutNs - 1) == wg::kNothing);
  CHECK(t.tick(now + wg::kKeepaliveTimeoutNs) == wg::kSendKeepalive);
  CHECK(t.tick(now + 3 * wg::kKeepaliveTimeoutNs) == wg::kNothing);  // once
  t.on_data_received(now + 100 * wg::kSecondNs);
  t.on_authenticated_sent(now + 101 * wg::kSecondNs);  // our own data answered it
  CHECK(t.tick(now + 200 * wg::kSecondNs) == wg::kNothing);
}

TEST_CASE("timers: sent data unanswered for KEEPALIVE + REKEY_TIMEOUT starts a new handshake", "[overlay_timers]") {
  wg::WgTimers t;
  const uint64_t now = 10 * wg::kSecondNs;
  t.on_data_sent(now);
  t.on_data_sent(now + 3 * wg::kSecondNs);  // does not push the deadline
  CHECK(t.tick(now + 15 * wg::kSecondNs - 1) == wg::kNothing);
  CHECK(t.tick(now + 15 * wg::kSecondNs) == wg::kSendInitiation);
  t.on_data_sent(now + 20 * wg::kSecondNs);
  t.on_authenticated_received(now + 21 * wg::kSecondNs);  // heard back: no handshake needed
  CHECK(t.tick(now + 60 * wg::kSecondNs) == wg::kNothing);
}

TEST_CASE("timers: persistent keepalive and key zeroing after a session", "[overlay_timers]") {
  wg::WgTimers t(25 * wg::kSecondNs);
  const uint64_t now = 10 * wg::kSecondNs;
  t.on_authenticated_traversal(now);
  CHECK(t.tick(now + 25 * wg::kSecondNs) == wg::kSendKeepalive);
  t.on_session_derived(now);
  CHECK((t.tick(now + 3 * wg::kRejectAfterTimeNs - 1) & wg::kZeroKeys) == 0);
  CHECK(t.tick(now + 3 * wg::kRejectAfterTimeNs) & wg::kZeroKeys);
}

TEST_CASE("timers: rekey and reject by keypair age and count", "[overlay_timers]") {
  const uint64_t born = 100 * wg::kSecondNs;
  wg::KeypairUse mine{true, born, 0}, theirs{false, born, 0};
  CHECK_FALSE(wg::rekey_due_after_send(mine, born + wg::kRekeyAfterTimeNs));
  CHECK(wg::rekey_due_after_send(mine, born + wg::kRekeyAfterTimeNs + 1));
  CHECK_FALSE(wg::rekey_due_after_send(theirs, born + wg::kRekeyAfterTimeNs + 1));  // only the initiator, by age
  theirs.send_counter = wg::kRekeyAfterMessages + 1;
  CHECK(wg::rekey_due_after_send(theirs, born));  // by messages, either side
  CHECK_FALSE(wg::rekey_due_after_receive(mine, born + 165 * wg::kSecondNs));
  CHECK(wg::rekey_due_after_receive(mine, born + 165 * wg::kSecondNs + 1));
  CHECK_FALSE(wg::rekey_due_after_receive(theirs, born + 170 * wg::kSecondNs));
  CHECK(wg::keypair_usable(mine, born + wg::kRejectAfterTimeNs - 1));
  CHECK_FALSE(wg::keypair_usable(mine, born + wg::kRejectAfterTimeNs));
  mine.send_counter = wg::kRejectAfterMessages;
  CHECK_FALSE(wg::keypair_usable(mine, born));
}
