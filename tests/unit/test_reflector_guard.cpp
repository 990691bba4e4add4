// ReflectorGuard and its use by StampReflector: the allow-list (IPv4, IPv6, IPv4-mapped), the per-client token
// bucket, and that a refused packet costs no session and gets no reply.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "control/health/reflector_guard.hpp"
#include "control/health/stamp_reflector.hpp"

using namespace wansteer;

namespace {

constexpr uint64_t kMs = 1'000'000;

sockaddr_storage v4(const char* a, uint16_t port = 40000) {
  sockaddr_storage ss{};
  auto* s = reinterpret_cast<sockaddr_in*>(&ss);
  s->sin_family = AF_INET;
  s->sin_port = htons(port);
  inet_pton(AF_INET, a, &s->sin_addr);
  return ss;
}

sockaddr_storage v6(const char* a, uint16_t port = 40000) {
  sockaddr_storage ss{};
  auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  inet_pton(AF_INET6, a, &s->sin6_addr);
  return ss;
}

GuardSettings allow(std::initializer_list<const char*> prefixes, double pps = 0, double burst = 0) {
  GuardSettings g;
  for (const char* p : prefixes) {
    std::string why;
    auto cp = parse_client_prefix(p, &why);
    REQUIRE(cp);
    g.allow.push_back(*cp);
  }
  g.rate_pps = pps;
  g.burst = burst;
  return g;
}

}  // namespace

TEST_CASE("reflector guard: prefixes parse, bad ones say why", "[reflector_guard]") {
  std::string why;
  auto p = parse_client_prefix("198.51.100.77/24", &why);
  REQUIRE(p);
  CHECK(p->v4);
  CHECK(p->len == 24);
  CHECK(p->net[3] == 0);  // host bits cleared
  CHECK(parse_client_prefix("2001:db8::1", &why)->len == 128);
  CHECK(parse_client_prefix("203.0.113.5", &why)->len == 32);
  for (const char* bad : {"198.51.100.0/33", "2001:db8::/129", "example.com", "10.0.0.0/", "10.0.0.0/x", ""}) {
    CAPTURE(bad);
    why.clear();
    CHECK_FALSE(parse_client_prefix(bad, &why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("reflector guard: only allowed prefixes pass, IPv4-mapped clients match IPv4 prefixes", "[reflector_guard]") {
  ReflectorGuard g(allow({"198.51.100.0/24", "2001:db8:1::/48"}));
  using V = ReflectorGuard::Verdict;
  CHECK(g.admit(v4("198.51.100.9"), 0) == V::pass);
  CHECK(g.admit(v4("198.51.101.9"), 0) == V::denied);
  CHECK(g.admit(v6("::ffff:198.51.100.200"), 0) == V::pass);
  CHECK(g.admit(v6("::ffff:203.0.113.1"), 0) == V::denied);
  CHECK(g.admit(v6("2001:db8:1:ffff::1"), 0) == V::pass);
  CHECK(g.admit(v6("2001:db8:2::1"), 0) == V::denied);
  ReflectorGuard open(GuardSettings{});
  CHECK(open.admit(v4("203.0.113.1"), 0) == V::pass);  // no list: everyone
}

TEST_CASE("reflector guard: a token bucket per client address, refilled at the rate", "[reflector_guard]") {
  ReflectorGuard g(allow({}, 100, 5));  // 100 packets/s, 5 at once
  using V = ReflectorGuard::Verdict;
  int passed = 0;
  for (int i = 0; i < 50; i++) passed += g.admit(v4("203.0.113.1", uint16_t(40000 + i)), 1000 * kMs) == V::pass;
  CHECK(passed == 5);                                        // the burst, whatever source port the flood uses
  CHECK(g.admit(v4("203.0.113.2"), 1000 * kMs) == V::pass);  // another client has its own bucket
  CHECK(g.admit(v4("203.0.113.1"), 1000 * kMs + 9 * kMs) == V::rate_limited);  // 0.9 of a token
  CHECK(g.admit(v4("203.0.113.1"), 1000 * kMs + 11 * kMs) == V::pass);         // 10 ms later: one token
  // 1 s later the bucket is full again but never deeper than the burst
  passed = 0;
  for (int i = 0; i < 50; i++) passed += g.admit(v4("203.0.113.1"), 2100 * kMs) == V::pass;
  CHECK(passed == 5);
  g.expire(20'000 * kMs, 10'000 * kMs);
  CHECK(g.tracked_clients() == 0);
}

TEST_CASE("stamp reflector: refused packets get no reply and no session", "[reflector_guard][stamp_reflector]") {
  ReflectorSettings s;
  s.guard = allow({"127.0.0.0/8"}, 1000, 2);
  StampReflector r(
      s, [] { return 0.5; }, 0);
  uint8_t buf[stamp::kPacketSize];
  stamp::encode_sender(stamp::SenderPacket{1, 0, 0}, buf);
  auto datagram = [&](const sockaddr_storage& from) {
    StampDatagram d;
    d.data = buf;
    d.len = sizeof buf;
    d.from = from;
    d.from_len = sizeof(sockaddr_in);
    d.rx_mono_ns = 1000 * kMs;
    return d;
  };
  StampReply reply;
  CHECK(r.on_datagram(datagram(v4("198.51.100.1")), &reply).kind == ReflectorVerdict::Kind::denied);
  CHECK(r.on_datagram(datagram(v4("127.0.0.1")), &reply).kind == ReflectorVerdict::Kind::send_now);
  CHECK(r.on_datagram(datagram(v4("127.0.0.1")), &reply).kind == ReflectorVerdict::Kind::send_now);
  CHECK(r.on_datagram(datagram(v4("127.0.0.1")), &reply).kind == ReflectorVerdict::Kind::rate_limited);
  CHECK(r.counters().denied == 1);
  CHECK(r.counters().rate_limited == 1);
  CHECK(r.counters().received == 4);
  CHECK(r.session_count() == 1);  // the refused client left nothing behind
}
