// wg_peer: our WireGuard implementation over a plain UDP socket, for the interop test with wireguard-go. It
// initiates a handshake (or answers one), pings an address inside the tunnel and answers pings that come through it.
//   wg_peer --private-key B64 --peer-public-key B64 --bind IP:PORT [--endpoint IP:PORT] --inner IP
//           [--ping IP --count N] [--answer N] [--timeout S]
// Exit 0 when the N echo replies came back and N echo requests were answered before the timeout, else 1; 2 for a
// bad command line. One line per event on stdout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "control/overlay/handshake_peer.hpp"
#include "control/overlay/wg_timers.hpp"
#include "control/overlay/x25519.hpp"
#include "dataplane/overlay/transport.hpp"
#include "tests/overlay/inner_icmp.hpp"

using namespace wansteer::wg;
using namespace wansteer::wg::test;

namespace {

struct Options {
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
};

std::optional<sockaddr_in> parse_endpoint(const std::string& s) {
  const auto colon = s.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (colon == std::string::npos || inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) != 1)
    return std::nullopt;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(s.substr(colon + 1))));
  return a;
}

uint32_t parse_ip(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1 ? ntohl(a.s_addr) : 0;
}

uint64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
uint64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Peer {
  int fd = -1;
  std::optional<sockaddr_in> endpoint;
  uint32_t inner = 0, ping_to = 0;
  int want_replies = 0, want_answers = 0, replies = 0, answers = 0, pings_sent = 0;
  std::unique_ptr<HandshakePeer> handshake;
  std::unique_ptr<Keypair> kp;
  ChaChaPoly aead;
  WgTimers timers;
  uint64_t next_ping_ns = 0;

  void send(const uint8_t* p, size_t n) {
    if (endpoint) sendto(fd, p, n, 0, reinterpret_cast<const sockaddr*>(&*endpoint), sizeof *endpoint);
  }
  void send_inner(uint8_t* buf, size_t len) {
    uint8_t out[2048];
    size_t out_len = 0;
    if (kp && seal_transport(aead, *kp, buf, len, out, sizeof out, &out_len) == SealResult::ok) send(out, out_len);
  }
  void initiate(bool retry) {
    uint8_t msg[kInitiationSize];
    if (!handshake->make_initiation(mono_ns(), unix_ns(), msg)) return;
    send(msg, sizeof msg);
    timers.on_initiation_sent(mono_ns(), 0, retry);
    std::printf("initiation sent%s\n", retry ? " (retry)" : "");
  }
  void take_session(bool initiator) {
    auto s = handshake->take_session();
    if (!s) return;
    kp = std::make_unique<Keypair>();
    kp->send_key = s->send_key, kp->recv_key = s->recv_key;
    kp->local_index = s->local_index, kp->remote_index = s->remote_index;
    kp->we_initiated = s->we_initiated, kp->created_ns = mono_ns();
    timers.on_handshake_complete(mono_ns());
    std::printf("handshake completed role=%s\n", initiator ? "initiator" : "responder");
  }
  void on_transport(const uint8_t* msg, size_t len);
  void on_datagram(const uint8_t* msg, size_t len, const sockaddr_in& from);
  void maybe_ping();
};

void Peer::on_transport(const uint8_t* msg, size_t len) {
  if (!kp) return;
  uint8_t inner_buf[2048];
  size_t inner_len = 0;
  const OpenResult r = open_transport(aead, *kp, msg, len, inner_buf, sizeof inner_buf, &inner_len);
  if (r != OpenResult::ok) {
    std::printf("transport dropped reason=%d\n", static_cast<int>(r));
    return;
  }
  if (inner_len == 0) {
    std::printf("keepalive received\n");
    return;
  }
  if (const int seq = echo_reply_seq(inner_buf, inner_len, inner); seq >= 0) {
    replies++;
    std::printf("echo reply seq=%d\n", seq);
  } else if (const size_t n = echo_request_to_reply(inner_buf, inner_len, inner); n > 0) {
    answers++;
    send_inner(inner_buf, n);
    std::printf("answered echo request\n");
  }
}

void Peer::on_datagram(const uint8_t* msg, size_t len, const sockaddr_in& from) {
  if (len >= 1 && msg[0] == static_cast<uint8_t>(MessageType::transport)) return on_transport(msg, len);
  uint8_t reply[kInitiationSize];
  size_t reply_len = 0;
  const auto* src = reinterpret_cast<const uint8_t*>(&from);
  const auto r = handshake->handle(msg, len, Bytes(src, sizeof from), false, mono_ns(), reply, &reply_len);
  std::printf("handshake message type=%d outcome=%d\n", msg[0], static_cast<int>(r));
  if (r == HandshakeOutcome::responded) {
    endpoint = from;  // roaming: answer where the initiation came from
    send(reply, reply_len);
    take_session(false);
  } else if (r == HandshakeOutcome::completed) {
    endpoint = from;
    take_session(true);
  }
}

void Peer::maybe_ping() {
  if (!kp || !kp->we_initiated || ping_to == 0 || pings_sent >= want_replies || mono_ns() < next_ping_ns) return;
  uint8_t pkt[128];
  const size_t n = build_echo_request(inner, ping_to, 0x5753, static_cast<uint16_t>(++pings_sent), pkt);
  send_inner(pkt, n);
  std::printf("echo request sent seq=%d\n", pings_sent);
  next_ping_ns = mono_ns() + 200'000'000;
}

int run(Peer& p, double timeout_s) {
  const uint64_t deadline = mono_ns() + static_cast<uint64_t>(timeout_s * 1e9);
  if (p.endpoint && p.ping_to != 0) p.initiate(false);
  while (mono_ns() < deadline && (p.replies < p.want_replies || p.answers < p.want_answers)) {
    std::fflush(stdout);
    pollfd pfd{p.fd, POLLIN, 0};
    if (poll(&pfd, 1, 50) > 0) {
      uint8_t buf[2048];
      sockaddr_in from{};
      socklen_t fl = sizeof from;
      const ssize_t n = recvfrom(p.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n > 0) p.on_datagram(buf, static_cast<size_t>(n), from);
    }
    if (p.timers.tick(mono_ns()) & kSendInitiation && !p.kp) p.initiate(true);
    p.maybe_ping();
  }
  std::printf("wg_peer: replies=%d answered=%d\n", p.replies, p.answers);
  std::fflush(stdout);
  return p.replies >= p.want_replies && p.answers >= p.want_answers ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) o.kv[argv[i]] = argv[i + 1];
  const auto priv = key_from_base64(o.get("--private-key"));
  const auto peer_pub = key_from_base64(o.get("--peer-public-key"));
  const auto bind_to = parse_endpoint(o.get("--bind"));
  Peer p;
  p.inner = parse_ip(o.get("--inner"));
  if (!priv || !peer_pub || !bind_to || p.inner == 0 || argc % 2 == 0) {
    std::fprintf(stderr,
                 "usage: wg_peer --private-key B64 --peer-public-key B64 --bind IP:PORT --inner IP "
                 "[--endpoint IP:PORT] [--ping IP --count N] [--answer N] [--timeout S]\n");
    return 2;
  }
  if (!o.get("--endpoint").empty()) p.endpoint = parse_endpoint(o.get("--endpoint"));
  p.ping_to = parse_ip(o.get("--ping"));
  p.want_replies = p.ping_to ? std::stoi(o.get("--count", "3")) : 0;
  p.want_answers = std::stoi(o.get("--answer", "0"));
  bool ok = false;
  p.handshake = std::make_unique<HandshakePeer>(PeerConfig{{*priv, public_key_of(*priv)}, *peer_pub, {}}, &ok);
  p.fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (!ok || !p.aead.valid() || p.fd < 0 || bind(p.fd, reinterpret_cast<const sockaddr*>(&*bind_to), sizeof *bind_to)) {
    std::perror("wg_peer: set-up");
    return 1;
  }
  std::printf("wg_peer: public key %s\n", key_to_base64(public_key_of(*priv)).c_str());
  return run(p, std::stod(o.get("--timeout", "20")));
}
