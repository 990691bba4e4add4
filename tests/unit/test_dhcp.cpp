// The DHCP client without a server: the codec (what it sends, strict decoding of replies, every truncation and bad
// length refused), the RFC 2131 state machine on a FakeClock through every transition, NAK and expiry included, and
// `address: dhcp` in a policy.
#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "control/common/clock.hpp"
#include "control/policy/policy.hpp"
#include "control/runtime/dhcp_client.hpp"

using namespace wansteer;
using namespace wansteer::dhcp;  // dhcp::Event spelled out: wansteer::Event (steering events) shares the name

namespace {

const Mac kClient{0x02, 0xaa, 0, 0, 2, 0x01};
const Mac kServerMac{0x02, 0, 0, 0, 0x02, 0x01};
constexpr uint32_t kServer = 0x0a000201;   // 10.0.2.1
constexpr uint32_t kOffered = 0x0a000264;  // 10.0.2.100

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}
uint16_t get16(const Bytes& b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }
uint32_t get32(const Bytes& b, size_t at) { return uint32_t{get16(b, at)} << 16 | get16(b, at + 2); }

// A server's reply as a frame: the options given as raw (code, bytes) pairs; UDP checksum left 0 (allowed).
struct ReplySpec {
  uint8_t op = 2;
  uint32_t xid = 0;
  uint32_t yiaddr = kOffered;
  Mac chaddr = kClient;
  std::vector<std::pair<uint8_t, Bytes>> options;
};
Bytes be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}
std::vector<std::pair<uint8_t, Bytes>> lease_options(MessageType t, uint32_t lease_s = 120) {
  return {{53, {static_cast<uint8_t>(t)}},
          {54, be32(kServer)},
          {1, be32(0xffffff00)},
          {3, be32(kServer)},
          {51, be32(lease_s)}};
}
Bytes reply_frame(const ReplySpec& s) {
  Bytes opts;
  for (const auto& [code, v] : s.options) {
    opts.push_back(code);
    opts.push_back(static_cast<uint8_t>(v.size()));
    opts.insert(opts.end(), v.begin(), v.end());
  }
  opts.push_back(255);
  Bytes f(14 + 20 + 8 + 236 + 4 + opts.size());
  std::copy(kClient.begin(), kClient.end(), f.begin());
  std::copy(kServerMac.begin(), kServerMac.end(), f.begin() + 6);
  put16(f, 12, 0x0800);
  f[14] = 0x45;
  put16(f, 16, static_cast<uint16_t>(f.size() - 14));
  f[22] = 64;
  f[23] = 17;
  put32(f, 26, kServer);
  put32(f, 30, s.yiaddr);
  uint32_t sum = 0;
  for (size_t i = 14; i < 34; i += 2) sum += get16(f, i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(f, 24, static_cast<uint16_t>(~sum));
  put16(f, 34, 67);
  put16(f, 36, 68);
  put16(f, 38, static_cast<uint16_t>(f.size() - 34));
  f[42] = s.op;
  f[43] = 1;
  f[44] = 6;
  put32(f, 46, s.xid);
  put32(f, 58, s.yiaddr);
  std::copy(s.chaddr.begin(), s.chaddr.end(), f.begin() + 70);
  const uint8_t magic[] = {99, 130, 83, 99};
  std::copy(magic, magic + 4, f.begin() + 278);
  std::copy(opts.begin(), opts.end(), f.begin() + 282);
  return f;
}

// The client with what it sent decoded back from the frames, and a FakeClock.
struct Rig {
  FakeClock clock;
  std::vector<Outgoing> sent;
  std::vector<Bytes> frames;
  Client client{kClient, clock.hz(), 7, [this](const Outgoing& o) {
                  sent.push_back(o);
                  Bytes f(kMaxFrame);
                  REQUIRE(encode(o, f) == kMaxFrame);
                  frames.push_back(f);
                }};
  Change tick() { return client.tick(clock.now()); }
  Change answer(MessageType t, uint32_t yiaddr = kOffered, uint32_t lease_s = 120) {
    ReplySpec s;
    s.xid = sent.back().xid;
    s.yiaddr = yiaddr;
    s.options = lease_options(t, lease_s);
    Decoded d = decode(reply_frame(s));
    REQUIRE(d.refusal == Refusal::ok);
    return client.on_reply(d.reply, clock.now());
  }
  // DISCOVER, OFFER, REQUEST, ACK: bound.
  Change bind(uint32_t lease_s = 120) {
    tick();
    answer(MessageType::offer, kOffered, lease_s);
    return answer(MessageType::ack, kOffered, lease_s);
  }
};

}  // namespace

TEST_CASE("dhcp: a DISCOVER frame is a broadcast BOOTREQUEST from port 68 with a valid UDP checksum", "[dhcp]") {
  Rig r;
  r.tick();
  REQUIRE(r.frames.size() == 1);
  const Bytes& f = r.frames[0];
  CHECK(std::all_of(f.begin(), f.begin() + 6, [](uint8_t b) { return b == 0xff; }));
  CHECK(get16(f, 12) == 0x0800);
  CHECK(get32(f, 30) == kBroadcast);
  CHECK(get16(f, 34) == 68);
  CHECK(get16(f, 36) == 67);
  CHECK(f[42] == 1);
  CHECK(f[282] == 53);
  CHECK(f[284] == 1);                // DISCOVER
  uint32_t sum = 17 + get16(f, 38);  // pseudo-header: protocol and length, then addresses
  for (size_t i = 26; i < 34; i += 2) sum += get16(f, i);
  for (size_t i = 34; i < f.size(); i += 2) sum += get16(f, i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  CHECK(sum == 0xffff);
}

TEST_CASE("dhcp: replies decode strictly: every truncation and bad length is refused", "[dhcp]") {
  ReplySpec s;
  s.xid = 42;
  s.options = lease_options(MessageType::offer);
  s.options.push_back({58, be32(50)});
  s.options.push_back({59, be32(100)});
  Bytes good = reply_frame(s);
  Decoded d = decode(good);
  REQUIRE(d.refusal == Refusal::ok);
  CHECK(d.reply.type == MessageType::offer);
  CHECK(d.reply.xid == 42);
  CHECK(d.reply.yiaddr == kOffered);
  CHECK(d.reply.server_id == kServer);
  CHECK(d.reply.prefix == 24);
  CHECK(d.reply.router == kServer);
  CHECK(d.reply.lease_s == 120u);
  CHECK(d.reply.t1_s == 50u);
  CHECK(d.reply.t2_s == 100u);
  CHECK(d.reply.src_mac == kServerMac);
  for (size_t n = 0; n + 1 < 282; ++n) CHECK(decode(std::span(good.data(), n)).refusal != Refusal::ok);

  auto refused = [](const ReplySpec& spec) { return decode(reply_frame(spec)).refusal; };
  ReplySpec bad = s;
  bad.options[2] = {1, {255, 255, 255}};  // a 3-octet netmask
  CHECK(refused(bad) == Refusal::bad_option);
  bad.options[2] = {1, be32(0xff00ff00)};  // not contiguous
  CHECK(refused(bad) == Refusal::bad_option);
  bad = s;
  bad.options[4] = {51, {0, 0, 120}};
  CHECK(refused(bad) == Refusal::bad_option);
  bad = s;
  bad.options.push_back({53, {2}});  // twice
  CHECK(refused(bad) == Refusal::bad_option);
  bad = s;
  bad.options.erase(bad.options.begin());
  CHECK(refused(bad) == Refusal::no_type);
  bad = s;
  bad.op = 1;
  CHECK(refused(bad) == Refusal::bad_bootp);
  Bytes overrun = good;
  overrun[282 + 1] = 200;  // the first option claims more octets than the frame has
  CHECK(decode(overrun).refusal == Refusal::bad_option);
  Bytes bad_sum = good;
  bad_sum[24] ^= 1;
  CHECK(decode(bad_sum).refusal == Refusal::bad_checksum);
  Bytes wrong_port = good;
  wrong_port[37] = 69;
  CHECK(decode(wrong_port).refusal == Refusal::not_dhcp);
}

TEST_CASE("dhcp: discover, offer, request, ack binds with the lease's address, prefix, gateway and times", "[dhcp]") {
  Rig r;
  CHECK(r.client.state() == State::init);
  r.tick();
  CHECK(r.client.state() == State::selecting);
  CHECK(r.sent.back().type == MessageType::discover);
  r.answer(MessageType::offer);
  CHECK(r.client.state() == State::requesting);
  const Outgoing& req = r.sent.back();
  CHECK(req.type == MessageType::request);
  CHECK(req.requested_ip == kOffered);
  CHECK(req.server_id == kServer);
  CHECK(req.ciaddr == 0);
  CHECK(req.dst_ip == kBroadcast);
  Change c = r.answer(MessageType::ack);
  CHECK(c.event == dhcp::Event::bound);
  CHECK(r.client.state() == State::bound);
  REQUIRE(r.client.lease());
  const Lease& l = *r.client.lease();
  CHECK(l.address == kOffered);
  CHECK(l.prefix == 24);
  CHECK(l.gateway == kServer);
  CHECK(l.server == kServer);
  CHECK(l.t1 == l.acquired + 60 * r.clock.hz());
  CHECK(l.t2 == l.acquired + 105 * r.clock.hz());
  CHECK(l.expires == l.acquired + 120 * r.clock.hz());
}

TEST_CASE("dhcp: DISCOVER is retransmitted after 4, 8, 16, 32, 64, 64 s; other transactions are ignored", "[dhcp]") {
  Rig r;
  r.tick();
  for (uint64_t wait : {4, 8, 16, 32, 64, 64}) {
    size_t before = r.sent.size();
    r.clock.advance_ms(wait * 1000 - 1);
    r.tick();
    CHECK(r.sent.size() == before);
    r.clock.advance_ms(1);
    r.tick();
    CHECK(r.sent.size() == before + 1);
  }
  ReplySpec s;
  s.xid = r.sent.back().xid + 1;
  s.options = lease_options(MessageType::offer);
  r.client.on_reply(decode(reply_frame(s)).reply, r.clock.now());
  s.xid = r.sent.back().xid;
  s.chaddr = kServerMac;  // someone else's transaction
  r.client.on_reply(decode(reply_frame(s)).reply, r.clock.now());
  CHECK(r.client.state() == State::selecting);
  CHECK(r.client.ignored() == 2);
}

TEST_CASE("dhcp: a NAK while requesting, or no answer to five REQUESTs, starts over with a DISCOVER", "[dhcp]") {
  Rig r;
  r.tick();
  r.answer(MessageType::offer);
  CHECK(r.answer(MessageType::nak).event == dhcp::Event::none);
  CHECK(r.client.state() == State::init);
  CHECK(r.client.naks() == 1);
  r.tick();
  CHECK(r.sent.back().type == MessageType::discover);
  r.answer(MessageType::offer);
  for (int i = 0; i < 4; ++i) {
    r.clock.advance_ms(64'000);
    r.tick();
    CHECK(r.sent.back().type == MessageType::request);
  }
  r.clock.advance_ms(64'000);
  r.tick();
  CHECK(r.sent.back().type == MessageType::discover);
  CHECK(r.client.state() == State::selecting);
}

TEST_CASE("dhcp: T1 renews by unicast to the server; the ACK renews or changes the lease", "[dhcp]") {
  Rig r;
  r.bind();
  r.clock.advance_ms(59'999);
  r.tick();
  CHECK(r.client.state() == State::bound);
  r.clock.advance_ms(1);
  r.tick();
  CHECK(r.client.state() == State::renewing);
  const Outgoing& renew = r.sent.back();
  CHECK(renew.type == MessageType::request);
  CHECK(renew.ciaddr == kOffered);
  CHECK(renew.requested_ip == 0);
  CHECK(renew.server_id == 0);
  CHECK(renew.dst_ip == kServer);
  CHECK(renew.dst_mac == kServerMac);
  Change c = r.answer(MessageType::ack);
  CHECK(c.event == dhcp::Event::renewed);
  CHECK(r.client.lease()->expires == r.clock.now() + 120 * r.clock.hz());
  r.clock.advance_ms(60'000);
  r.tick();
  c = r.answer(MessageType::ack, kOffered + 1);
  CHECK(c.event == dhcp::Event::changed);
  CHECK(c.previous.address == kOffered);
  CHECK(c.lease.address == kOffered + 1);
  CHECK(r.client.lease()->address == kOffered + 1);
}

TEST_CASE("dhcp: without answers, T2 rebinds by broadcast and expiry loses the lease", "[dhcp]") {
  Rig r;
  r.bind();
  r.clock.advance_ms(60'000);
  r.tick();
  size_t renew_requests = r.sent.size();
  r.clock.advance_ms(44'999);  // renewal retries wait at least 60 s, so none before T2
  r.tick();
  CHECK(r.sent.size() == renew_requests);
  r.clock.advance_ms(1);
  r.tick();
  CHECK(r.client.state() == State::rebinding);
  CHECK(r.sent.back().dst_ip == kBroadcast);
  CHECK(r.sent.back().ciaddr == kOffered);
  r.clock.advance_ms(14'999);
  CHECK(r.tick().event == dhcp::Event::none);
  r.clock.advance_ms(1);
  Change c = r.tick();
  CHECK(c.event == dhcp::Event::lost);
  CHECK(c.lease.address == kOffered);
  CHECK_FALSE(r.client.lease());
  CHECK(r.client.state() == State::init);
  r.tick();
  CHECK(r.sent.back().type == MessageType::discover);
}

TEST_CASE("dhcp: a rebind ACK keeps the lease; a NAK while renewing loses it", "[dhcp]") {
  Rig r;
  r.bind();
  r.clock.advance_ms(105'000);
  r.tick();
  REQUIRE(r.client.state() == State::rebinding);
  CHECK(r.answer(MessageType::ack).event == dhcp::Event::renewed);
  CHECK(r.client.state() == State::bound);
  r.clock.advance_ms(60'000);
  r.tick();
  REQUIRE(r.client.state() == State::renewing);
  Change c = r.answer(MessageType::nak);
  CHECK(c.event == dhcp::Event::lost);
  CHECK(r.client.state() == State::init);
}

TEST_CASE("dhcp: an ACK without a usable gateway is not bound; an infinite lease never expires", "[dhcp]") {
  Rig r;
  r.tick();
  r.answer(MessageType::offer);
  ReplySpec s;
  s.xid = r.sent.back().xid;
  s.options = lease_options(MessageType::ack);
  s.options[3] = {3, be32(0x0b000001)};  // a router outside 10.0.2.0/24
  CHECK(r.client.on_reply(decode(reply_frame(s)).reply, r.clock.now()).event == dhcp::Event::none);
  CHECK(r.client.state() == State::requesting);
  CHECK(r.answer(MessageType::ack, kOffered, 0xffffffff).event == dhcp::Event::bound);
  r.clock.advance_ms(10'000'000'000);
  CHECK(r.tick().event == dhcp::Event::none);
  CHECK(r.client.state() == State::bound);
}

namespace {
std::string dhcp_policy(const std::string& lte_lines) {
  return "name: t\nlan:\n  device: net_null0\n  subnets:\n    - address: 192.168.10.1/24\nlinks:\n"
         "  - name: fiber\n    device: net_null1\n    address: 100.64.1.2/30\n    gateway: 100.64.1.1\n"
         "  - name: lte\n    device: net_null2\n" +
         lte_lines + "classes:\n  - name: voip\n    links: [fiber, lte]\n";
}
}  // namespace

TEST_CASE("dhcp: address: dhcp needs no gateway and refuses one, at its line and column", "[dhcp][policy]") {
  auto r = parse_policy(dhcp_policy("    address: dhcp\n"), "t.yaml", ".");
  REQUIRE(r.ok());
  CHECK(r.policy->links[1].dhcp);
  CHECK(r.policy->links[1].address.addr == 0);
  CHECK(r.policy->links[1].gateway == 0);
  CHECK_FALSE(r.policy->links[0].dhcp);

  r = parse_policy(dhcp_policy("    address: dhcp\n    gateway: 100.64.2.1\n    gateway_mac: 02:00:00:00:00:01\n"),
                   "t.yaml", ".");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].loc.line == 14);
  CHECK(r.errors[0].loc.column == 14);
  CHECK(r.errors[0].reason.find("gateway comes from the lease") != std::string::npos);
  CHECK(r.errors[1].loc.line == 15);
  CHECK(r.errors[1].reason.find("remove gateway_mac") != std::string::npos);
}
