// StampReflector without sockets: per-session sequence numbers, echoed sender fields, emulated loss, delay and
// jitter from an injected random source, release order of held replies, idle sessions forgotten.
#include <catch2/catch.hpp>

#include <netinet/in.h>

#include <cstring>
#include <deque>

#include "control/health/stamp_auth.hpp"
#include "control/health/stamp_reflector.hpp"

using namespace wansteer;

namespace {

constexpr uint64_t kMs = 1'000'000;

// Random numbers the test chooses, in the order the reflector asks for them.
struct Script {
  std::deque<double> values;
  double operator()() {
    double v = values.empty() ? 0.5 : values.front();
    if (!values.empty()) values.pop_front();
    return v;
  }
};

struct Sender {
  uint8_t buf[64] = {};
  StampDatagram d;
  explicit Sender(uint16_t port, uint32_t seq, size_t len = stamp::kPacketSize, uint64_t mono = 1000 * kMs) {
    stamp::encode_sender(stamp::SenderPacket{seq, 0x1111222233334444ull, 0x0101}, buf);
    for (size_t i = stamp::kPacketSize; i < sizeof buf; i++) buf[i] = uint8_t(i);
    auto* a = reinterpret_cast<sockaddr_in*>(&d.from);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(0x7f000001);
    d.from_len = sizeof(sockaddr_in);
    d.data = buf;
    d.len = len;
    d.ttl = 63;
    d.rx_realtime_ns = 1'700'000'000'000'000'000ull;
    d.rx_mono_ns = mono;
  }
};

}  // namespace

TEST_CASE("stamp reflector: one counter per session, sender fields echoed, tail kept", "[stamp_reflector]") {
  StampReflector r({}, Script{}, 0x0016);
  StampReply out;
  for (uint32_t i = 0; i < 3; i++) {
    Sender a(5000, 100 + i, stamp::kPacketSize + 8);
    ReflectorVerdict v = r.on_datagram(a.d, &out);
    REQUIRE(v.kind == ReflectorVerdict::Kind::send_now);
    CHECK(out.pkt.seq == i);
    CHECK(out.pkt.sender_seq == 100 + i);
    CHECK(out.pkt.sender_timestamp == 0x1111222233334444ull);
    CHECK(out.pkt.sender_error_estimate == 0x0101);
    CHECK(out.pkt.sender_ttl == 63);
    CHECK(out.pkt.error_estimate == 0x0016);
    CHECK(out.pkt.receive_timestamp == stamp::ntp_from_unix_ns(a.d.rx_realtime_ns));
    CHECK(out.tail.size() == 8);
  }
  Sender b(5001, 7);
  r.on_datagram(b.d, &out);
  CHECK(out.pkt.seq == 0);  // another port: another session, its own counter
  CHECK(r.counters().sessions == 2);
  CHECK(r.counters().received == 4);

  uint8_t wire[128];
  size_t len = r.encode(out, 1'700'000'000'000'000'000ull, wire);
  stamp::ReflectorPacket back;
  REQUIRE(len == stamp::kPacketSize);
  REQUIRE(stamp::decode_reflector(wire, len, &back));
  CHECK(back.sender_seq == 7);
  CHECK(back.timestamp == stamp::ntp_from_unix_ns(1'700'000'000'000'000'000ull));
}

TEST_CASE("stamp reflector: short packets counted and ignored", "[stamp_reflector]") {
  StampReflector r({}, Script{}, 0);
  StampReply out;
  Sender s(5000, 1, stamp::kPacketSize - 1);
  CHECK(r.on_datagram(s.d, &out).kind == ReflectorVerdict::Kind::too_short);
  CHECK(r.counters().short_packets == 1);
  CHECK(r.counters().sessions == 0);
}

TEST_CASE("stamp reflector: emulated loss drops without moving the session counter", "[stamp_reflector]") {
  ReflectorSettings st;
  st.loss_pct = 30;
  StampReflector r(st, Script{{0.1, 0.9, 0.29, 0.31}}, 0);  // 10 % < 30: drop; 90 %: keep; 29: drop; 31: keep
  StampReply out;
  using K = ReflectorVerdict::Kind;
  CHECK(r.on_datagram(Sender(5000, 1).d, &out).kind == K::dropped);
  CHECK(r.on_datagram(Sender(5000, 2).d, &out).kind == K::send_now);
  CHECK(out.pkt.seq == 0);
  CHECK(r.on_datagram(Sender(5000, 3).d, &out).kind == K::dropped);
  CHECK(r.on_datagram(Sender(5000, 4).d, &out).kind == K::send_now);
  CHECK(out.pkt.seq == 1);
  CHECK(r.counters().dropped == 2);
}

TEST_CASE("stamp reflector: delay and jitter hold replies, released in time then arrival order", "[stamp_reflector]") {
  ReflectorSettings st;
  st.delay_ms = 10;
  st.jitter_ms = 4;
  // uniform 0 -> -4 ms, 1 -> +4 ms, 0.5 -> 0: holds of 6, 14, 10 and 10 ms
  StampReflector r(st, Script{{0.0, 1.0, 0.5, 0.5}}, 0);
  StampReply out;
  for (uint32_t i = 0; i < 4; i++) {
    ReflectorVerdict v = r.on_datagram(Sender(5000, i).d, &out);
    CHECK(v.kind == ReflectorVerdict::Kind::held);
  }
  const uint64_t t0 = 1000 * kMs;
  CHECK(r.wait_ms(t0, 1000) == 6);
  CHECK(r.wait_ms(t0 + 5 * kMs + 1, 1000) == 1);  // rounded up: never wakes before the release
  CHECK_FALSE(r.pop_due(t0 + 6 * kMs - 1, &out));
  REQUIRE(r.pop_due(t0 + 6 * kMs, &out));
  CHECK(out.pkt.sender_seq == 0);
  std::vector<uint32_t> order;
  while (r.pop_due(t0 + 20 * kMs, &out)) order.push_back(out.pkt.sender_seq);
  CHECK(order == std::vector<uint32_t>{2, 3, 1});  // 10 ms twice in arrival order, then 14 ms
  CHECK(r.wait_ms(t0, 1000) == 1000);
}

TEST_CASE("stamp reflector: idle sessions are forgotten and start again at 0", "[stamp_reflector]") {
  ReflectorSettings st;
  st.session_idle_ns = 5000 * kMs;
  StampReflector r(st, Script{}, 0);
  StampReply out;
  r.on_datagram(Sender(5000, 1).d, &out);
  r.on_datagram(Sender(5000, 2).d, &out);
  r.expire_idle(1000 * kMs);  // the first call only schedules the sweep
  r.expire_idle(3000 * kMs);
  CHECK(r.session_count() == 1);
  r.expire_idle(6000 * kMs);
  CHECK(r.session_count() == 0);
  r.on_datagram(Sender(5000, 3, stamp::kPacketSize, 6000 * kMs).d, &out);
  CHECK(out.pkt.seq == 0);
  CHECK(r.counters().sessions == 2);
}

namespace {

const stamp::Key kAuthKey(32, 0x5a);

// An authenticated (112-byte) test packet from 127.0.0.1:`port`, sealed with `key`.
struct AuthSender {
  uint8_t buf[stamp::kAuthPacketSize + 8] = {};
  StampDatagram d;
  AuthSender(uint32_t seq, const stamp::Key& key, size_t len = stamp::kAuthPacketSize) {
    Sender plain(5000, seq);  // the address, TTL and receive times of a plain test packet
    d = plain.d;
    stamp::encode_sender_auth(stamp::SenderPacket{seq, 0x1111222233334444ull, 0x0101}, key, buf);
    d.data = buf;
    d.len = len;
  }
};

ReflectorSettings auth_settings() {
  ReflectorSettings st;
  st.auth_key = kAuthKey;
  return st;
}

}  // namespace

TEST_CASE("stamp reflector, authenticated mode: a valid packet gets a 112-byte reply whose HMAC verifies",
          "[stamp_reflector][stamp_auth]") {
  StampReflector r(auth_settings(), Script{}, 0x0016);
  StampReply out;
  AuthSender s(41, kAuthKey);
  REQUIRE(r.on_datagram(s.d, &out).kind == ReflectorVerdict::Kind::send_now);
  CHECK(out.tail.empty());  // bytes 44..111 of the sender's packet are not an unauthenticated tail
  uint8_t wire[256];
  const size_t len = r.encode(out, 1'700'000'000'000'000'000ull, wire);
  REQUIRE(len == stamp::kAuthPacketSize);
  stamp::ReflectorPacket back;
  REQUIRE(stamp::decode_reflector_auth(wire, len, kAuthKey, &back) == stamp::AuthCheck::ok);
  CHECK(back.sender_seq == 41);
  CHECK(back.sender_timestamp == 0x1111222233334444ull);
  CHECK(back.sender_ttl == 63);
  CHECK(back.timestamp == stamp::ntp_from_unix_ns(1'700'000'000'000'000'000ull));
  CHECK(r.counters().sessions == 1);
}

TEST_CASE("stamp reflector, authenticated mode: unauthenticated, wrong-length and bad-HMAC packets are refused",
          "[stamp_reflector][stamp_auth]") {
  StampReflector r(auth_settings(), Script{}, 0);
  StampReply out;
  using K = ReflectorVerdict::Kind;
  CHECK(r.on_datagram(Sender(5000, 1).d, &out).kind == K::unauthenticated);  // a plain 44-byte packet
  CHECK(r.on_datagram(Sender(5000, 2, stamp::kPacketSize + 20).d, &out).kind == K::unauthenticated);
  CHECK(r.on_datagram(AuthSender(3, kAuthKey, stamp::kAuthPacketSize + 8).d, &out).kind == K::unauthenticated);
  CHECK(r.on_datagram(AuthSender(4, stamp::Key(32, 0x5b)).d, &out).kind == K::bad_hmac);  // another key
  AuthSender flipped(5, kAuthKey);
  flipped.buf[0] ^= 0x80;  // seq changed in flight
  CHECK(r.on_datagram(flipped.d, &out).kind == K::bad_hmac);
  CHECK(r.counters().unauthenticated == 3);
  CHECK(r.counters().bad_hmac == 2);
  CHECK(r.counters().sessions == 0);  // refused before any session state is made
  CHECK(r.queued() == 0);
}

TEST_CASE("stamp reflector, unauthenticated mode: 112-byte authenticated packets are plain packets with a tail",
          "[stamp_reflector][stamp_auth]") {
  StampReflector r({}, Script{}, 0);
  StampReply out;
  REQUIRE(r.on_datagram(AuthSender(6, kAuthKey).d, &out).kind == ReflectorVerdict::Kind::send_now);
  CHECK(out.tail.size() == stamp::kAuthPacketSize - stamp::kPacketSize);
  CHECK(r.counters().unauthenticated == 0);
}
