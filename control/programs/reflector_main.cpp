// wansteer-reflector: a stateful STAMP Session-Reflector (RFC 8762, unauthenticated) on plain UDP sockets, with
// optional delay, jitter and loss emulation so lab tests can shape a path without netem.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/core.h>
#include <boost/program_options.hpp>

#include "control/health/stamp.hpp"

namespace po = boost::program_options;
using namespace wansteer;

namespace {

constexpr uint64_t kSessionIdleNs = 60'000'000'000ull;  // RFC 8762 leaves it to us; 60 s outlives any probe gap
constexpr size_t kMaxDatagram = 2048;

uint64_t clock_ns(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

std::string addr_str(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return fmt::format("{}:{}", buf, ntohs(a->sin_port));
  }
  auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
  return fmt::format("[{}]:{}", buf, ntohs(a->sin6_port));
}

// Session key: the sender's address and port, as raw bytes (RFC 8762 section 4.3: the reflector's sequence
// counter is per session).
std::string session_key(const sockaddr_storage& ss, socklen_t len) {
  return std::string(reinterpret_cast<const char*>(&ss), len);
}

struct Session {
  uint32_t next_seq = 0;
  uint64_t last_seen_ns = 0;  // CLOCK_MONOTONIC
};

struct Reply {
  uint64_t release_ns;  // CLOCK_MONOTONIC
  uint64_t order;       // arrival order: equal release times keep it
  sockaddr_storage to;
  socklen_t to_len;
  stamp::ReflectorPacket pkt;
  std::vector<uint8_t> tail;  // bytes after the 44-byte base packet, echoed so both directions have the same size
  bool operator>(const Reply& o) const {
    return release_ns != o.release_ns ? release_ns > o.release_ns : order > o.order;
  }
};

struct Counters {
  uint64_t received = 0, reflected = 0, short_packets = 0, dropped = 0, sessions = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "0.0.0.0";
  unsigned port = stamp::kPort;
  double delay_ms = 0, jitter_ms = 0, loss_pct = 0;
  bool verbose = false;
  po::options_description desc(
      "Usage: wansteer-reflector [options]\n"
      "STAMP Session-Reflector (RFC 8762, unauthenticated, stateful). Prints one summary line on SIGINT/SIGTERM:\n"
      "received (datagrams), reflected, short (< 44 bytes, ignored), dropped (--loss-pct), sessions (ever seen).\n"
      "Options");
  desc.add_options()("help,h", "this help")("listen", po::value(&listen)->default_value(listen),
                                            "address to listen on (IPv4 or IPv6)")(
      "port", po::value(&port)->default_value(port), "UDP port (0: any free port, printed on start)")(
      "delay-ms", po::value(&delay_ms)->default_value(0), "hold each reply this long before sending it")(
      "jitter-ms", po::value(&jitter_ms)->default_value(0), "plus or minus a uniform random amount up to this")(
      "loss-pct", po::value(&loss_pct)->default_value(0), "drop this share of test packets on receive, at random")(
      "verbose,v", po::bool_switch(&verbose), "print every test packet on stderr");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    fmt::print(stderr, "wansteer-reflector: {}\n", e.what());
    return 2;
  }
  if (port > 65535 || delay_ms < 0 || jitter_ms < 0 || loss_pct < 0 || loss_pct > 100) {
    fmt::print(stderr, "wansteer-reflector: need port <= 65535, delay and jitter >= 0, loss 0..100\n");
    return 2;
  }

  sockaddr_storage bind_addr{};
  socklen_t bind_len = 0;
  int family = AF_INET;
  if (auto* a4 = reinterpret_cast<sockaddr_in*>(&bind_addr); inet_pton(AF_INET, listen.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(uint16_t(port));
    bind_len = sizeof(sockaddr_in);
  } else if (auto* a6 = reinterpret_cast<sockaddr_in6*>(&bind_addr);
             inet_pton(AF_INET6, listen.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(uint16_t(port));
    bind_len = sizeof(sockaddr_in6);
    family = AF_INET6;
  } else {
    fmt::print(stderr, "wansteer-reflector: --listen {}: not an IPv4 or IPv6 address\n", listen);
    return 2;
  }

  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    fmt::print(stderr, "wansteer-reflector: socket: {}\n", std::strerror(errno));
    return 1;
  }
  int on = 1;
  // TTL / hop limit of each received packet comes as ancillary data (Ses-Sender TTL), and the kernel's receive
  // time (SO_TIMESTAMPNS) is closer to the wire than a clock read after recvmsg returns.
  if (family == AF_INET)
    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
  else
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  if (bind(fd, reinterpret_cast<sockaddr*>(&bind_addr), bind_len) != 0) {
    fmt::print(stderr, "wansteer-reflector: cannot bind {}:{}: {}\n", listen, port, std::strerror(errno));
    return 1;
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);

  // Signals arrive through a signalfd in the poll set: no race between checking a flag and sleeping.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    fmt::print(stderr, "wansteer-reflector: signalfd: {}\n", std::strerror(errno));
    return 1;
  }

  fmt::print("wansteer-reflector: listening on {}\n", addr_str(bound));
  std::fflush(stdout);

  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::unordered_map<std::string, Session> sessions;
  std::priority_queue<Reply, std::vector<Reply>, std::greater<>> queue;
  Counters c;
  uint64_t order = 0;
  uint64_t next_sweep_ns = clock_ns(CLOCK_MONOTONIC) + 1'000'000'000ull;
  const uint16_t own_error = stamp::default_error_estimate();

  auto send_reply = [&](Reply& r) {
    r.pkt.timestamp = stamp::ntp_from_unix_ns(clock_ns(CLOCK_REALTIME));  // transmit time: just before sendto
    uint8_t buf[kMaxDatagram];
    stamp::encode_reflector(r.pkt, buf);
    std::copy(r.tail.begin(), r.tail.end(), buf + stamp::kPacketSize);
    ssize_t n = sendto(fd, buf, stamp::kPacketSize + r.tail.size(), 0, reinterpret_cast<sockaddr*>(&r.to), r.to_len);
    if (n >= 0) {
      c.reflected++;
    } else if (verbose) {
      fmt::print(stderr, "wansteer-reflector: sendto {}: {}\n", addr_str(r.to), std::strerror(errno));
    }
  };

  for (;;) {
    int timeout_ms = 1000;
    if (!queue.empty()) {
      uint64_t now = clock_ns(CLOCK_MONOTONIC);
      uint64_t due = queue.top().release_ns;
      // Round up so we never wake before the release time and spin.
      timeout_ms = due <= now ? 0 : int(std::min<uint64_t>((due - now + 999'999) / 1'000'000, 1000));
    }
    pollfd pfd[2] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}};
    int rc = poll(pfd, 2, timeout_ms);
    if (rc < 0 && errno != EINTR) {
      fmt::print(stderr, "wansteer-reflector: poll: {}\n", std::strerror(errno));
      return 1;
    }
    if (rc > 0 && (pfd[0].revents & POLLIN)) {
      for (int burst = 0; burst < 256; burst++) {  // bounded, so a flood cannot starve delayed replies
        uint8_t buf[kMaxDatagram];
        iovec iov{buf, sizeof buf};
        sockaddr_storage from{};
        alignas(cmsghdr) char ctrl[256];
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = ctrl;
        msg.msg_controllen = sizeof ctrl;
        ssize_t n = recvmsg(fd, &msg, 0);
        if (n < 0) break;  // EAGAIN: drained
        uint64_t rx_realtime_ns = clock_ns(CLOCK_REALTIME);
        uint64_t now_mono = clock_ns(CLOCK_MONOTONIC);
        c.received++;
        int ttl = 0;
        for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
          if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
              (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT)) {
            std::memcpy(&ttl, CMSG_DATA(cm), sizeof ttl);
          } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts;
            std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            rx_realtime_ns = uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
          }
        }
        stamp::SenderPacket sp;
        if (!stamp::decode_sender(buf, size_t(n), &sp)) {
          c.short_packets++;
          if (verbose) fmt::print(stderr, "wansteer-reflector: {} bytes from {}: too short\n", n, addr_str(from));
          continue;
        }
        if (loss_pct > 0 && unit(rng) * 100.0 < loss_pct) {
          c.dropped++;  // emulated forward loss: the session counter does not move
          if (verbose) fmt::print(stderr, "wansteer-reflector: seq {} from {}: dropped\n", sp.seq, addr_str(from));
          continue;
        }
        auto [it, created] = sessions.try_emplace(session_key(from, msg.msg_namelen));
        if (created) c.sessions++;
        Session& s = it->second;
        s.last_seen_ns = now_mono;

        Reply r;
        r.order = order++;
        r.to = from;
        r.to_len = msg.msg_namelen;
        r.pkt.seq = s.next_seq++;
        r.pkt.error_estimate = own_error;
        r.pkt.receive_timestamp = stamp::ntp_from_unix_ns(rx_realtime_ns);
        r.pkt.sender_seq = sp.seq;
        r.pkt.sender_timestamp = sp.timestamp;
        r.pkt.sender_error_estimate = sp.error_estimate;
        r.pkt.sender_ttl = uint8_t(ttl);
        r.tail.assign(buf + stamp::kPacketSize, buf + n);
        double hold_ms = delay_ms + (jitter_ms > 0 ? (unit(rng) * 2 - 1) * jitter_ms : 0);
        if (verbose)
          fmt::print(stderr, "wansteer-reflector: seq {} from {} ttl {}: reply seq {} in {:.3f} ms\n", sp.seq,
                     addr_str(from), ttl, r.pkt.seq, std::max(hold_ms, 0.0));
        if (hold_ms <= 0) {
          send_reply(r);
        } else {
          r.release_ns = now_mono + uint64_t(hold_ms * 1e6);
          queue.push(std::move(r));
        }
      }
    }

    // Stop only after the packets already queued to us are handled: a sender's packets that reached the socket
    // before the signal are all counted in the summary (tests rely on that instead of sleeping).
    if (rc > 0 && (pfd[1].revents & POLLIN)) break;

    uint64_t now = clock_ns(CLOCK_MONOTONIC);
    while (!queue.empty() && queue.top().release_ns <= now) {
      Reply r = queue.top();
      queue.pop();
      send_reply(r);
    }
    if (now >= next_sweep_ns) {
      std::erase_if(sessions, [now](const auto& kv) { return now - kv.second.last_seen_ns >= kSessionIdleNs; });
      next_sweep_ns = now + 1'000'000'000ull;
    }
  }

  fmt::print("wansteer-reflector: received={} reflected={} short={} dropped={} sessions={}\n", c.received, c.reflected,
             c.short_packets, c.dropped, c.sessions);
  std::fflush(stdout);
  close(sfd);
  close(fd);
  return 0;
}
