// Two WireGuard sessions talking through byte queues on a fake clock: handshake and confirmation, rekey under
// traffic without loss, expiry and zeroing of keys, cookie replies beyond the handshake rate, replayed initiations.
#include <catch2/catch.hpp>

#include "tests/unit/wg_session_rig.hpp"

using namespace wansteer;
using test::SessionPair;
using wg::HandshakeOutcome;
using wg::PeerKeysView;

TEST_CASE("session: the responder's keypair waits in next until the initiator's first message confirms it",
          "[overlay_session]") {
  SessionPair p;
  CHECK_FALSE(p.a.send_data(p.now));  // no key yet: a handshake is wanted
  p.tick();
  REQUIRE(p.a_to_b.size() == 1);
  CHECK(p.a_to_b.front().size() == wg::kInitiationSize);
  CHECK(p.a.session->counters().initiations_sent == 1);
  p.deliver_in_flight();  // the initiation reaches b, which answers
  const PeerKeysView& bv = p.b.session->view();
  CHECK(p.b.session->counters().responses_sent == 1);
  CHECK_FALSE(bv.send);
  REQUIRE(bv.receive[PeerKeysView::kNext]);
  CHECK_FALSE(bv.receive[PeerKeysView::kCurrent]);
  CHECK_FALSE(p.b.send_data(p.now));  // b may not seal with an unconfirmed keypair

  p.deliver_in_flight();  // the response reaches a: current at once, and a confirms with a keepalive
  const PeerKeysView& av = p.a.session->view();
  REQUIRE(av.send);
  CHECK(av.send->we_initiated);
  CHECK(p.a.session->counters().handshakes_completed == 1);
  REQUIRE(p.a_to_b.size() == 1);
  CHECK(p.a_to_b.front().size() == 32);  // an empty transport message
  const uint64_t gen = p.b.session->view_generation();
  CHECK_FALSE(bv.send);

  p.deliver_in_flight();  // the keepalive: b's next becomes current
  CHECK(p.b.session->view_generation() > gen);
  REQUIRE(bv.send);
  CHECK_FALSE(bv.receive[PeerKeysView::kNext]);
  CHECK(bv.send->local_index == av.send->remote_index);
  CHECK(bv.send->remote_index == av.send->local_index);
  CHECK(p.b.session->counters().handshakes_completed == 1);
  CHECK(p.a.session->counters().rekeys + p.b.session->counters().rekeys == 0);

  REQUIRE(p.a.send_data(p.now));
  REQUIRE(p.b.send_data(p.now));
  p.deliver_all();
  CHECK(p.a.opened == 1);
  CHECK(p.b.opened == 1);
}

TEST_CASE("session: rekey after REKEY_AFTER_TIME under traffic loses no packet", "[overlay_session]") {
  SessionPair p;
  p.handshake();
  REQUIRE(p.a.session->view().send);
  REQUIRE(p.b.session->view().send);
  const uint64_t first_a = p.a.session->view().send->serial, first_b = p.b.session->view().send->serial;
  p.exchange_data(2 * 200, wg::kSecondNs / 2);  // both send every half second
  CHECK(p.a.opened == p.b.sealed);
  CHECK(p.b.opened == p.a.sealed);
  CHECK(p.a.sealed == 400);
  // One rekey each: started by a (the initiator) after 120 s; the next would be due after 240 s.
  CHECK(p.a.session->counters().rekeys == 1);
  CHECK(p.b.session->counters().rekeys == 1);
  CHECK(p.a.session->counters().initiations_sent == 2);
  CHECK(p.a.session->view().send->serial != first_a);
  CHECK(p.b.session->view().send->serial != first_b);
  // b's packets sealed with the old keypair before it heard of the new one opened at a with the previous one.
  CHECK(p.a.opened_previous >= 1);
  // The old keypair stayed as previous until REJECT_AFTER_TIME after it was made, then went.
  CHECK(p.a.session->counters().keys_expired == 1);
  CHECK(p.b.session->counters().keys_expired == 1);
  CHECK_FALSE(p.a.session->view().receive[PeerKeysView::kPrevious]);
}

TEST_CASE("session: a lab's short rekey interval rekeys every interval under traffic, loses nothing, expires nothing",
          "[overlay_session]") {
  wg::SessionConfig config;
  config.rekey_after_ns = 6 * wg::kSecondNs;  // overlay rekey_after_s: 6
  SessionPair p(config);
  p.handshake();
  REQUIRE(p.a.session->view().send);
  p.exchange_data(3000, wg::kSecondNs / 100);  // 100 packets/s each way for 30 s
  CHECK(p.a.opened == p.b.sealed);
  CHECK(p.b.opened == p.a.sealed);
  // A new keypair every 6 s (a little more: the interval starts when the handshake completes), never earlier.
  CHECK(p.a.session->counters().rekeys >= 4);
  CHECK(p.a.session->counters().rekeys <= 5);
  CHECK(p.b.session->counters().rekeys == p.a.session->counters().rekeys);
  // REJECT_AFTER_TIME did not shrink with it: every keypair was replaced long before it could expire.
  CHECK(p.a.session->counters().keys_expired == 0);
  CHECK(p.b.session->counters().keys_expired == 0);
  CHECK(p.a.opened_previous >= 1);  // packets in flight across each rekey opened with the previous keypair
}

TEST_CASE("session: keys expire after REJECT_AFTER_TIME and are zeroed after 3 x REJECT_AFTER_TIME",
          "[overlay_session]") {
  SessionPair p;
  p.handshake();
  const uint64_t derived = p.now;
  p.now = derived + wg::kRejectAfterTimeNs - wg::kSecondNs;
  p.tick();
  CHECK(p.a.session->view().send);
  CHECK(p.b.session->view().send);
  p.now = derived + wg::kRejectAfterTimeNs + wg::kSecondNs;
  p.tick();
  CHECK_FALSE(p.a.session->view().send);
  CHECK_FALSE(p.b.session->view().send);
  for (const auto& k : p.a.session->view().receive) CHECK_FALSE(k);
  CHECK(p.a.session->counters().keys_expired == 1);
  CHECK(p.b.session->counters().keys_expired == 1);
  CHECK(p.a.session->counters().keys_zeroed == 0);
  for (uint64_t t = 2; t <= 3; t++) {
    p.now = derived + t * wg::kRejectAfterTimeNs + wg::kSecondNs;
    p.tick();
  }
  CHECK(p.a.session->counters().keys_zeroed == 1);
  CHECK(p.b.session->counters().keys_zeroed == 1);
  CHECK(p.a.session->counters().initiations_sent == 1);  // nothing to send, so no handshake meanwhile
  CHECK(p.a_to_b.empty());

  // New data: a new session.
  CHECK_FALSE(p.a.send_data(p.now));
  p.tick();
  p.deliver_all();
  REQUIRE(p.a.send_data(p.now));
  p.deliver_all();
  CHECK(p.b.opened == 1);
  CHECK(p.b.session->view().send);
}

TEST_CASE("session: initiations beyond the handshake rate are answered with cookie replies", "[overlay_session]") {
  wg::SessionConfig limits;
  limits.handshakes_per_second = 20, limits.handshake_burst = 5;
  SessionPair p(limits);
  bool ok = false;
  // The flood: a's identity (it passes mac1 and authenticates), new timestamps, all at one instant.
  wg::HandshakePeer flood({p.a.id, p.b.id.public_key, {}}, &ok);
  REQUIRE(ok);
  uint8_t init[wg::kInitiationSize], reply[wg::kSessionOutSize];
  size_t len = 0;
  // Messages for another public key fail mac1 before any work and cost no token.
  test::SessionSide stranger;
  uint8_t junk[wg::kInitiationSize];
  wg::HandshakePeer other({stranger.id, stranger.id.public_key, {}}, &ok);
  for (int i = 0; i < 50; i++) {
    REQUIRE(other.make_initiation(p.now, test::kSessionUnixNs + i, junk));
    CHECK(p.b.session->handle_handshake(junk, sizeof junk, wg::Bytes(p.a.source, 6), p.now, reply, &len) ==
          HandshakeOutcome::bad_mac1);
    CHECK(len == 0);
  }
  int responded = 0, cookies = 0;
  for (int i = 0; i < 30; i++) {
    REQUIRE(flood.make_initiation(p.now, test::kSessionUnixNs + 100 + i, init));
    const auto r = p.b.session->handle_handshake(init, sizeof init, wg::Bytes(p.a.source, 6), p.now, reply, &len);
    responded += r == HandshakeOutcome::responded;
    cookies += r == HandshakeOutcome::cookie_sent && len == wg::kCookieReplySize;
  }
  CHECK(responded == 5);
  CHECK(cookies == 25);
  CHECK(p.b.session->counters().cookie_replies_sent == 25);
  CHECK(p.b.session->counters().responses_sent == 5);
  CHECK(p.b.session->counters().rejected == 50);

  // With the cookie, an initiation carries mac2 for this source and is answered although still under load.
  uint8_t unused[wg::kSessionOutSize];
  size_t n = 0;
  REQUIRE(flood.handle(reply, len, wg::Bytes(p.b.source, 6), false, p.now, unused, &n) ==
          HandshakeOutcome::cookie_taken);
  REQUIRE(flood.make_initiation(p.now, test::kSessionUnixNs + 200, init));
  CHECK(p.b.session->handle_handshake(init, sizeof init, wg::Bytes(p.a.source, 6), p.now, reply, &len) ==
        HandshakeOutcome::responded);
  // A second later the bucket has refilled (20/s, at most 5): no longer under load for a sender without a cookie.
  wg::HandshakePeer fresh({p.a.id, p.b.id.public_key, {}}, &ok);
  REQUIRE(fresh.make_initiation(p.now, test::kSessionUnixNs + 300, init));
  CHECK(p.b.session->handle_handshake(init, sizeof init, wg::Bytes(p.a.source, 6), p.now + wg::kSecondNs, reply,
                                      &len) == HandshakeOutcome::responded);
}

TEST_CASE("session: a replayed initiation is rejected and leaves the keys as they were", "[overlay_session]") {
  SessionPair p;
  p.a.session->want_keys(p.now);
  p.tick();
  REQUIRE(p.a_to_b.size() == 1);
  const test::WireMessage initiation = p.a_to_b.front();
  p.deliver_all();
  const PeerKeysView& bv = p.b.session->view();
  REQUIRE(bv.send);
  const uint64_t serial = bv.send->serial, gen = p.b.session->view_generation();
  uint8_t reply[wg::kSessionOutSize];
  size_t len = 1;
  CHECK(p.b.session->handle_handshake(initiation.data(), initiation.size(), wg::Bytes(p.a.source, 6),
                                      p.now + wg::kSecondNs, reply, &len) == HandshakeOutcome::rejected);
  CHECK(len == 0);
  CHECK(p.b.session->counters().rejected == 1);
  CHECK(p.b.session->counters().responses_sent == 1);
  CHECK(p.b.session->view_generation() == gen);
  CHECK(bv.send->serial == serial);
  CHECK_FALSE(bv.receive[PeerKeysView::kNext]);
}

TEST_CASE("session: an unanswered initiation is retried every REKEY_TIMEOUT, then given up", "[overlay_session]") {
  SessionPair p;
  p.a.session->want_keys(p.now);
  p.tick();
  REQUIRE(p.a_to_b.size() == 1);
  p.a_to_b.clear();  // lost
  p.now += wg::kRekeyTimeoutNs - wg::kSecondNs;
  p.tick();
  CHECK(p.a_to_b.empty());
  p.now += wg::kSecondNs;
  p.tick();
  CHECK(p.a_to_b.size() == 1);  // the retry
  CHECK(p.a.session->counters().initiations_sent == 2);
  for (int i = 0; i < 40; i++) {
    p.a_to_b.clear();
    p.now += wg::kRekeyTimeoutNs;
    p.tick();
  }
  // 1 + 18 retries over REKEY_ATTEMPT_TIME, then nothing until there is data to send again.
  CHECK(p.a.session->counters().initiations_sent == 1 + wg::kMaxHandshakeAttempts);
  CHECK_FALSE(p.a.send_data(p.now));
  p.tick();
  p.deliver_all();
  CHECK(p.a.session->view().send);
}

TEST_CASE("session: a passive keepalive uses the shared send counter; rekey and expiry by message count",
          "[overlay_session]") {
  SessionPair p;
  p.handshake();
  REQUIRE(p.a.send_data(p.now));
  p.deliver_all();
  // b received data and sent nothing back: after KEEPALIVE_TIMEOUT it sends an empty message, sealed with a counter
  // reserved from the same source its workers use.
  const wg::TransportKeys& bk = *p.b.session->view().send;
  const uint64_t used = bk.counter.used();
  p.now += wg::kKeepaliveTimeoutNs;
  p.tick();
  REQUIRE(p.b_to_a.size() == 1);
  CHECK(p.b_to_a.front().size() == 32);
  CHECK(wg::get_le64(p.b_to_a.front().data() + wg::transport::kCounter) == used);
  CHECK(bk.counter.used() == used + 1);
  p.deliver_all();
  CHECK(p.a.session->counters().initiations_sent == 1);

  // Past REKEY_AFTER_MESSAGES the next send asks for a new handshake (either side; here the responder).
  p.b.session->view().send->counter.next = wg::kRekeyAfterMessages + 1;
  REQUIRE(p.b.send_data(p.now));
  p.tick();
  CHECK(p.b.session->counters().initiations_sent == 1);
  p.b_to_a.clear();
  // At REJECT_AFTER_MESSAGES the keypair may not seal any more: gone from the view at the next tick.
  p.b.session->view().send->counter.next = wg::kRejectAfterMessages;
  p.tick();
  CHECK_FALSE(p.b.session->view().send);
  CHECK(p.b.session->counters().keys_expired == 1);
}

TEST_CASE("session: both sides initiating at once (two sites starting) still carries data both ways",
          "[overlay_session]") {
  SessionPair p;
  p.a.session->want_keys(p.now);
  p.b.session->want_keys(p.now);
  p.tick();
  REQUIRE(p.a_to_b.size() == 1);
  REQUIRE(p.b_to_a.size() == 1);
  p.deliver_all();
  // Each completed its own handshake (current) and answered the other's, which stays as previous.
  for (auto* s : {&p.a, &p.b}) {
    const PeerKeysView& v = s->session->view();
    REQUIRE(v.send);
    CHECK(v.send->we_initiated);
    REQUIRE(v.receive[PeerKeysView::kPrevious]);
    CHECK_FALSE(v.receive[PeerKeysView::kPrevious]->we_initiated);
    CHECK(s->session->counters().handshakes_completed == 1);
    CHECK(s->session->counters().rekeys == 0);  // the first keys on either side
  }
  for (int i = 0; i < 3; i++) {
    REQUIRE(p.a.send_data(p.now));
    REQUIRE(p.b.send_data(p.now));
  }
  p.deliver_all();
  CHECK(p.a.opened == 3);
  CHECK(p.b.opened == 3);
}

TEST_CASE("session: a worker's replay window follows its keypair from current to previous across a rekey",
          "[overlay_session]") {
  SessionPair p;
  p.handshake();
  REQUIRE(p.a.send_data(p.now));
  const test::WireMessage old = p.a_to_b.back();
  p.deliver_all();
  REQUIRE(p.b.opened == 1);
  const uint64_t first = p.b.session->view().send->serial;
  // A rekey (a's keypair past REKEY_AFTER_MESSAGES), confirmed at b: the first keypair is b's previous now.
  p.now += wg::kRekeyTimeoutNs;  // handshakes at most one per REKEY_TIMEOUT
  p.a.session->view().send->counter.next = wg::kRekeyAfterMessages + 1;
  REQUIRE(p.a.send_data(p.now));
  p.tick();
  p.deliver_all();
  REQUIRE(p.b.session->view().send->serial != first);
  REQUIRE(p.b.session->view().receive[PeerKeysView::kPrevious]->serial == first);
  REQUIRE(p.b.opened == 2);
  // The message opened before the rekey is still a replay: the window moved with its keypair.
  p.b.receive(old, p.a.source, p.now);
  CHECK(p.b.opened == 2);
  // And the new keypair opens with a window of its own.
  REQUIRE(p.a.send_data(p.now));
  p.deliver_all();
  CHECK(p.b.opened == 3);
}

TEST_CASE("session: a persistent keepalive goes out on an idle tunnel (a hub behind NAT keeps its mapping)",
          "[overlay_session]") {
  wg::SessionConfig config;
  config.persistent_keepalive_ns = 25 * wg::kSecondNs;
  SessionPair p(config);
  p.handshake();
  const size_t opened_before = p.b.opened;
  for (int s = 0; s < 60; s++) {
    p.now += wg::kSecondNs;
    p.tick();
    p.deliver_all();
  }
  CHECK(p.b.opened == opened_before);  // keepalives carry no data
  CHECK(p.b.keepalives == 1 + 2);      // the confirmation, then at 25 s and 50 s
  CHECK(p.a.keepalives == 2);
  CHECK(p.a.session->counters().initiations_sent == 1);
  // b's view still has the keys, and the tunnel is usable without a new handshake.
  REQUIRE(p.b.send_data(p.now));
  p.deliver_all();
  CHECK(p.a.opened == 1);
}
