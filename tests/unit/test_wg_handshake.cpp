// The WireGuard handshake and transport between two instances of our code: both roles derive mirrored keys, data
// goes both ways, and what must fail does (wrong key, replayed initiation, tampered or replayed data, cookie path).
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "control/overlay/handshake_peer.hpp"
#include "control/overlay/x25519.hpp"
#include "dataplane/overlay/transport.hpp"

using namespace wansteer;
using wg::HandshakeOutcome;

namespace {

constexpr uint64_t kNow = 1'000'000'000'000;
constexpr uint64_t kUnix = 1'700'000'000'000'000'000;
const uint8_t kSource[6] = {192, 0, 2, 1, 0x12, 0x34};

wg::Identity identity() {
  wg::Identity id;
  id.private_key = wg::generate_private_key();
  id.public_key = wg::public_key_of(id.private_key);
  return id;
}

struct Pair {
  wg::Identity a = identity(), b = identity();
  bool ok_a = false, ok_b = false;
  wg::HandshakePeer initiator{{a, b.public_key, {}}, &ok_a};
  wg::HandshakePeer responder{{b, a.public_key, {}}, &ok_b};
  uint8_t init[wg::kInitiationSize];
  uint8_t reply[wg::kInitiationSize];
  size_t reply_len = 0;

  HandshakeOutcome send_initiation(uint64_t unix_ns = kUnix, bool under_load = false) {
    REQUIRE(initiator.make_initiation(kNow, unix_ns, init));
    return responder.handle(init, sizeof init, wg::Bytes(kSource, 6), under_load, kNow, reply, &reply_len);
  }
  HandshakeOutcome deliver_reply() {
    uint8_t unused[wg::kInitiationSize];
    size_t n = 0;
    return initiator.handle(reply, reply_len, wg::Bytes(kSource, 6), false, kNow, unused, &n);
  }
};

wg::Keypair keypair_of(const wg::SessionKeys& s) {
  wg::Keypair kp;
  kp.send_key = s.send_key, kp.recv_key = s.recv_key;
  kp.local_index = s.local_index, kp.remote_index = s.remote_index, kp.we_initiated = s.we_initiated;
  return kp;
}

}  // namespace

TEST_CASE("handshake: initiator and responder derive mirrored transport keys", "[overlay_handshake]") {
  Pair p;
  REQUIRE((p.ok_a && p.ok_b));
  REQUIRE(p.send_initiation() == HandshakeOutcome::responded);
  CHECK(p.reply_len == wg::kResponseSize);
  const auto r = p.responder.take_session();
  REQUIRE(r);
  CHECK_FALSE(p.responder.take_session());  // handed out once
  REQUIRE(p.deliver_reply() == HandshakeOutcome::completed);
  const auto i = p.initiator.take_session();
  REQUIRE(i);
  CHECK(i->send_key == r->recv_key);
  CHECK(i->recv_key == r->send_key);
  CHECK(i->send_key != i->recv_key);
  CHECK(i->local_index == r->remote_index);
  CHECK(i->remote_index == r->local_index);
  CHECK(i->we_initiated);
  CHECK_FALSE(r->we_initiated);
  // A second copy of the response finds nothing to complete.
  CHECK(p.deliver_reply() == HandshakeOutcome::ignored);
}

TEST_CASE("handshake: refused for the wrong key, another sender, a replayed or older initiation",
          "[overlay_handshake]") {
  Pair p;
  REQUIRE(p.send_initiation() == HandshakeOutcome::responded);
  // The same initiation again (a replay): its timestamp is not newer.
  CHECK(p.responder.handle(p.init, sizeof p.init, wg::Bytes(kSource, 6), false, kNow, p.reply, &p.reply_len) ==
        HandshakeOutcome::rejected);
  CHECK(p.send_initiation(kUnix - 1) == HandshakeOutcome::rejected);
  CHECK(p.send_initiation(kUnix + 1) == HandshakeOutcome::responded);

  // Addressed to another public key: mac1 fails before any DH.
  Pair other;
  bool ok = false;
  wg::HandshakePeer stranger({other.a, other.b.public_key, {}}, &ok);
  REQUIRE(stranger.make_initiation(kNow, kUnix, other.init));
  CHECK(p.responder.handle(other.init, sizeof other.init, wg::Bytes(kSource, 6), false, kNow, p.reply, &p.reply_len) ==
        HandshakeOutcome::bad_mac1);
  // A third party that knows the responder's public key: mac1 passes, its static key is not the peer's.
  wg::HandshakePeer intruder({identity(), p.b.public_key, {}}, &ok);
  REQUIRE(intruder.make_initiation(kNow, kUnix + 5, other.init));
  CHECK(p.responder.handle(other.init, sizeof other.init, wg::Bytes(kSource, 6), false, kNow, p.reply, &p.reply_len) ==
        HandshakeOutcome::rejected);
  // A truncated initiation: refused before any work.
  CHECK(p.responder.handle(p.init, 100, wg::Bytes(kSource, 6), false, kNow, p.reply, &p.reply_len) ==
        HandshakeOutcome::bad_mac1);
}

TEST_CASE("handshake: a different preshared key on one side fails the response", "[overlay_handshake]") {
  wg::Identity a = identity(), b = identity();
  wg::Key psk{};
  psk[0] = 1;
  bool ok = false;
  wg::HandshakePeer initiator({a, b.public_key, psk}, &ok);
  wg::HandshakePeer responder({b, a.public_key, {}}, &ok);
  uint8_t init[wg::kInitiationSize], reply[wg::kInitiationSize], unused[wg::kInitiationSize];
  size_t n = 0, m = 0;
  REQUIRE(initiator.make_initiation(kNow, kUnix, init));
  REQUIRE(responder.handle(init, sizeof init, wg::Bytes(kSource, 6), false, kNow, reply, &n) ==
          HandshakeOutcome::responded);
  CHECK(initiator.handle(reply, n, wg::Bytes(kSource, 6), false, kNow, unused, &m) == HandshakeOutcome::rejected);
}

TEST_CASE("handshake: under load a cookie reply first, then the initiation with mac2 goes through",
          "[overlay_handshake]") {
  Pair p;
  REQUIRE(p.send_initiation(kUnix, true) == HandshakeOutcome::cookie_sent);
  REQUIRE(p.reply_len == wg::kCookieReplySize);
  CHECK(p.reply[0] == 3);
  std::vector<uint8_t> tampered(p.reply, p.reply + p.reply_len);
  tampered[40] ^= 1;
  uint8_t unused[wg::kInitiationSize];
  size_t n = 0;
  CHECK(p.initiator.handle(tampered.data(), tampered.size(), wg::Bytes(kSource, 6), false, kNow, unused, &n) ==
        HandshakeOutcome::rejected);
  REQUIRE(p.deliver_reply() == HandshakeOutcome::cookie_taken);
  // The next initiation carries mac2 for this source: answered although still under load.
  REQUIRE(p.send_initiation(kUnix + 1, true) == HandshakeOutcome::responded);
  // From another source address the cookie does not fit: another cookie reply.
  uint8_t init[wg::kInitiationSize];
  REQUIRE(p.initiator.make_initiation(kNow, kUnix + 2, init));
  const uint8_t elsewhere[6] = {198, 51, 100, 9, 0x12, 0x34};
  CHECK(p.responder.handle(init, sizeof init, wg::Bytes(elsewhere, 6), true, kNow, p.reply, &p.reply_len) ==
        HandshakeOutcome::cookie_sent);
}

TEST_CASE("transport: sealed both ways, padded to 16, tampering, replays and wrong indices refused",
          "[overlay_transport]") {
  Pair p;
  REQUIRE(p.send_initiation() == HandshakeOutcome::responded);
  REQUIRE(p.deliver_reply() == HandshakeOutcome::completed);
  wg::Keypair a = keypair_of(*p.initiator.take_session()), b = keypair_of(*p.responder.take_session());
  wg::ChaChaPoly aead;
  uint8_t inner[100], out[256], back[256];
  for (size_t i = 0; i < sizeof inner; i++) inner[i] = static_cast<uint8_t>(i * 7);
  size_t out_len = 0, back_len = 0;

  REQUIRE(wg::seal_transport(aead, a, inner, 33, out, sizeof out, &out_len) == wg::SealResult::ok);
  CHECK(out_len == 16 + 48 + 16);
  CHECK(a.send_counter == 1);
  REQUIRE(wg::open_transport(aead, b, out, out_len, back, sizeof back, &back_len) == wg::OpenResult::ok);
  CHECK(back_len == 48);
  CHECK(std::memcmp(back, inner, 33) == 0);
  CHECK(std::all_of(back + 33, back + 48, [](uint8_t x) { return x == 0; }));
  CHECK(wg::open_transport(aead, b, out, out_len, back, sizeof back, &back_len) == wg::OpenResult::duplicate);

  // The other way, a keepalive (empty), and sealed in place.
  REQUIRE(wg::seal_transport(aead, b, nullptr, 0, out, sizeof out, &out_len) == wg::SealResult::ok);
  CHECK(out_len == 32);
  REQUIRE(wg::open_transport(aead, a, out, out_len, back, sizeof back, &back_len) == wg::OpenResult::ok);
  CHECK(back_len == 0);
  std::memcpy(out + 16, inner, 16);
  REQUIRE(wg::seal_transport(aead, b, out + 16, 16, out, sizeof out, &out_len) == wg::SealResult::ok);
  CHECK(out_len == 48);
  CHECK(wg::get_le64(out + 8) == 1);
  out[20] ^= 1;
  CHECK(wg::open_transport(aead, a, out, out_len, back, sizeof back, &back_len) == wg::OpenResult::bad_tag);
  out[20] ^= 1;
  REQUIRE(wg::open_transport(aead, a, out, out_len, back, sizeof back, &back_len) == wg::OpenResult::ok);
  CHECK(std::memcmp(back, inner, 16) == 0);

  out[4] ^= 1;  // receiver index
  CHECK(wg::open_transport(aead, a, out, out_len, back, sizeof back, &back_len) == wg::OpenResult::wrong_index);
  CHECK(wg::open_transport(aead, a, out, 31, back, sizeof back, &back_len) == wg::OpenResult::malformed);
  CHECK(wg::seal_transport(aead, a, inner, 100, out, 100, &out_len) == wg::SealResult::no_room);
  a.send_counter = wg::kRejectAfterMessages;
  CHECK(wg::seal_transport(aead, a, inner, 1, out, sizeof out, &out_len) == wg::SealResult::counter_exhausted);
}

TEST_CASE("transport: a forged message far ahead does not move the replay window; reordering is accepted",
          "[overlay_transport]") {
  Pair p;
  REQUIRE(p.send_initiation() == HandshakeOutcome::responded);
  REQUIRE(p.deliver_reply() == HandshakeOutcome::completed);
  wg::Keypair a = keypair_of(*p.initiator.take_session()), b = keypair_of(*p.responder.take_session());
  wg::ChaChaPoly aead;
  uint8_t inner[20] = {0x45}, msgs[3][64], back[64];
  size_t lens[3], back_len = 0;
  for (auto i = 0; i < 3; i++)
    REQUIRE(wg::seal_transport(aead, a, inner, sizeof inner, msgs[i], sizeof msgs[i], &lens[i]) == wg::SealResult::ok);
  // A forgery: counter 1,000,000 with a tag that cannot verify. If it moved the window, counters 0..2 would be old.
  uint8_t forged[64];
  std::memcpy(forged, msgs[2], lens[2]);
  wg::put_le64(forged + 8, 1'000'000);
  CHECK(wg::open_transport(aead, b, forged, lens[2], back, sizeof back, &back_len) == wg::OpenResult::bad_tag);
  CHECK(wg::open_transport(aead, b, msgs[2], lens[2], back, sizeof back, &back_len) == wg::OpenResult::ok);
  CHECK(wg::open_transport(aead, b, msgs[0], lens[0], back, sizeof back, &back_len) == wg::OpenResult::ok);
  CHECK(wg::open_transport(aead, b, msgs[1], lens[1], back, sizeof back, &back_len) == wg::OpenResult::ok);
  CHECK(wg::open_transport(aead, b, msgs[0], lens[0], back, sizeof back, &back_len) == wg::OpenResult::duplicate);
  // A forged message with a counter already taken is a bad tag, not a duplicate: only authentic copies are those.
  std::memcpy(forged, msgs[2], lens[2]);
  forged[20] ^= 1;
  CHECK(wg::open_transport(aead, b, forged, lens[2], back, sizeof back, &back_len) == wg::OpenResult::bad_tag);
}
