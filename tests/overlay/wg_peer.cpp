// wg_peer: our WireGuard implementation (a WgSession, and seal/open as workers do with its published keys) over a
// plain UDP socket, for the interop test with wireguard-go. It initiates a handshake (or answers one), pings an
// address inside the tunnel and answers pings that come through it.
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

#include "control/overlay/wg_session.hpp"
#include "control/overlay/x25519.hpp"
#include "dataplane/overlay/replay_windows.hpp"
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

// The session on "the control thread" and, in the same loop, what workers would do with its published keys.
struct Peer {
  int fd = -1;
  std::optional<sockaddr_in> endpoint;
  uint32_t inner = 0, ping_to = 0;
  int want_replies = 0, want_answers = 0, replies = 0, answers = 0, pings_sent = 0;
  std::unique_ptr<WgSession> session;
  ChaChaPoly aead;
  PeerReplayWindows windows;  // as a worker keeps them per core
  uint64_t shown_serial = 0;  // the send keypair last reported on stdout
  uint64_t next_ping_ns = 0;

  void send(const uint8_t* p, size_t n) {
    if (endpoint) sendto(fd, p, n, 0, reinterpret_cast<const sockaddr*>(&*endpoint), sizeof *endpoint);
  }
  void send_inner(const uint8_t* buf, size_t len) {
    const auto& k = session->view().send;
    if (!k) return session->want_keys(mono_ns());
    uint8_t out[2048];
    size_t out_len = 0;
    CounterLease lease;
    uint64_t counter = 0;
    if (!lease.take(k->counter, &counter) || seal_transport_at(aead, k->send_key, k->remote_index, counter, buf, len,
                                                               out, sizeof out, &out_len) != SealResult::ok)
      return;
    send(out, out_len);
    session->on_sent(len > 0, mono_ns());
  }
  // One line when a new keypair starts sending (at once for the initiator, on confirmation for the responder).
  void report_keys() {
    const auto& k = session->view().send;
    if (!k || k->serial == shown_serial) return;
    shown_serial = k->serial;
    std::printf("handshake completed role=%s\n", k->we_initiated ? "initiator" : "responder");
  }
  void tick() {
    uint8_t out[kSessionOutSize];
    size_t n = 0;
    session->tick(mono_ns(), unix_ns(), 0, out, &n);
    if (n == 0) return;
    send(out, n);
    if (n == kInitiationSize) std::printf("initiation sent\n");
  }
  void on_transport(const uint8_t* msg, size_t len);
  void on_datagram(const uint8_t* msg, size_t len, const sockaddr_in& from);
  void maybe_ping();
};

void Peer::on_transport(const uint8_t* msg, size_t len) {
  const TransportKeys* k = session->view().receiving(get_le32(msg + transport::kReceiver));
  uint8_t inner_buf[2048];
  size_t inner_len = 0;
  const OpenResult r =
      k == nullptr ? OpenResult::wrong_index
                   : open_transport_with(aead, k->recv_key, k->local_index, windows.window_for(*k, session->view()),
                                         msg, len, inner_buf, sizeof inner_buf, &inner_len);
  if (r != OpenResult::ok) {
    std::printf("transport dropped reason=%d\n", static_cast<int>(r));
    return;
  }
  session->on_received(k->local_index, inner_len > 0, mono_ns());
  report_keys();
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
  if (len >= kTransportHeaderSize && msg[0] == static_cast<uint8_t>(MessageType::transport))
    return on_transport(msg, len);
  uint8_t reply[kSessionOutSize];
  size_t reply_len = 0;
  const auto* src = reinterpret_cast<const uint8_t*>(&from);
  const auto r = session->handle_handshake(msg, len, Bytes(src, sizeof from), mono_ns(), reply, &reply_len);
  std::printf("handshake message type=%d outcome=%d\n", msg[0], static_cast<int>(r));
  if (r == HandshakeOutcome::responded || r == HandshakeOutcome::completed)
    endpoint = from;  // roaming: answer where the handshake came from
  if (reply_len > 0) send(reply, reply_len);
  report_keys();
}

void Peer::maybe_ping() {
  const auto& k = session->view().send;
  if (!k || !k->we_initiated || ping_to == 0 || pings_sent >= want_replies || mono_ns() < next_ping_ns) return;
  uint8_t pkt[128];
  const size_t n = build_echo_request(inner, ping_to, 0x5753, static_cast<uint16_t>(++pings_sent), pkt);
  send_inner(pkt, n);
  std::printf("echo request sent seq=%d\n", pings_sent);
  next_ping_ns = mono_ns() + 200'000'000;
}

int run(Peer& p, double timeout_s) {
  const uint64_t deadline = mono_ns() + static_cast<uint64_t>(timeout_s * 1e9);
  if (p.endpoint && p.ping_to != 0) p.session->want_keys(mono_ns());
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
    p.tick();
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
  SessionConfig config;
  config.peer = PeerConfig{{*priv, public_key_of(*priv)}, *peer_pub, {}};
  p.session = std::make_unique<WgSession>(config, &ok);
  p.fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (!ok || !p.aead.valid() || p.fd < 0 || bind(p.fd, reinterpret_cast<const sockaddr*>(&*bind_to), sizeof *bind_to)) {
    std::perror("wg_peer: set-up");
    return 1;
  }
  std::printf("wg_peer: public key %s\n", key_to_base64(public_key_of(*priv)).c_str());
  return run(p, std::stod(o.get("--timeout", "20")));
}
