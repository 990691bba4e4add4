// wansteer-reflector: a stateful STAMP Session-Reflector (RFC 8762, authenticated mode with --auth-key-file) on plain
// UDP sockets, with optional delay, jitter and loss emulation so lab tests can shape a path without netem. The session
// logic is StampReflector (control/health/stamp_reflector.hpp); this file holds the options, the sockets and the loop.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <random>
#include <string>

#include <fmt/core.h>
#include <boost/program_options.hpp>

#include "control/common/addr_format.hpp"
#include "control/health/stamp_key_file.hpp"
#include "control/health/stamp_reflector.hpp"

namespace po = boost::program_options;
using namespace wansteer;

namespace {

constexpr size_t kMaxDatagram = 2048;
constexpr int kBurst = 256;  // datagrams read per wake-up: bounded, so a flood cannot starve delayed replies

uint64_t clock_ns(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

std::string addr_str(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    return fmt::format("{}:{}", ipv4_str(ntohl(a->sin_addr.s_addr)), ntohs(a->sin_port));
  }
  auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  return fmt::format("[{}]:{}", ipv6_str(a->sin6_addr.s6_addr), ntohs(a->sin6_port));
}

struct Options {
  std::string listen = "0.0.0.0";
  unsigned port = stamp::kPort;
  ReflectorSettings settings;
  std::vector<std::string> allow;  // client prefixes, parsed into settings.guard.allow
  std::string auth_key_file;       // read into settings.auth_key
  bool verbose = false;
};

// Parses the command line; on --help or an error, the exit status to return.
std::optional<int> parse_options(int argc, char** argv, Options& o) {
  po::options_description desc(
      "Usage: wansteer-reflector [options]\n"
      "STAMP Session-Reflector (RFC 8762, stateful). Prints one summary line on SIGINT/SIGTERM:\n"
      "received (datagrams), reflected, short (< 44 bytes, ignored), dropped (--loss-pct), sessions (ever seen),\n"
      "denied (not in --allow), rate_limited (over --rate-limit); with --auth-key-file also unauthenticated\n"
      "(not a 112-byte authenticated packet) and bad_hmac (HMAC does not verify), neither answered.\n"
      "Exit status: 0 stopped by a signal, 1 cannot listen or poll, 2 bad command line or key file.\n"
      "Options");
  desc.add_options()("help,h", "this help")("version", "print the version and exit")(
      "listen", po::value(&o.listen)->default_value(o.listen), "address to listen on (IPv4 or IPv6)")(
      "port", po::value(&o.port)->default_value(o.port), "UDP port (0: any free port, printed on start)")(
      "delay-ms", po::value(&o.settings.delay_ms)->default_value(0), "hold each reply this long before sending it")(
      "jitter-ms", po::value(&o.settings.jitter_ms)->default_value(0),
      "plus or minus a uniform random amount up to this")("loss-pct", po::value(&o.settings.loss_pct)->default_value(0),
                                                          "drop this share of test packets on receive, at random")(
      "allow", po::value(&o.allow)->composing(),
      "answer only clients in this prefix (repeat for more; default: anyone, with a warning)")(
      "rate-limit", po::value(&o.settings.guard.rate_pps)->default_value(1500),
      "test packets per second answered per client address (0: no limit); the rest are counted, not answered")(
      "burst", po::value(&o.settings.guard.burst)->default_value(200), "packets a client may send at once")(
      "auth-key-file", po::value(&o.auth_key_file),
      "RFC 8762 authenticated mode: HMAC-SHA-256 with the hex key in this file (>= 16 bytes, not world-readable)")(
      "verbose,v", po::bool_switch(&o.verbose), "print every test packet on stderr");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (vm.count("version")) {
      fmt::print("wansteer-reflector {}\n", WANSTEER_VERSION);
      return 0;
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    fmt::print(stderr, "wansteer-reflector: {}\n", e.what());
    return 2;
  }
  const ReflectorSettings& s = o.settings;
  if (o.port > 65535 || s.delay_ms < 0 || s.jitter_ms < 0 || s.loss_pct < 0 || s.loss_pct > 100 ||
      s.guard.rate_pps < 0 || s.guard.burst < 0) {
    fmt::print(stderr,
               "wansteer-reflector: need port <= 65535, delay and jitter >= 0, loss 0..100, rate-limit and burst "
               ">= 0\n");
    return 2;
  }
  for (const std::string& a : o.allow) {
    std::string why;
    std::optional<ClientPrefix> p = parse_client_prefix(a, &why);
    if (!p) {
      fmt::print(stderr, "wansteer-reflector: --allow {}\n", why);
      return 2;
    }
    o.settings.guard.allow.push_back(*p);
  }
  if (!o.auth_key_file.empty()) {
    std::string why;
    std::optional<stamp::Key> key = stamp::read_key_file(o.auth_key_file, &why);
    if (!key) {
      fmt::print(stderr, "wansteer-reflector: --auth-key-file {}\n", why);
      return 2;
    }
    o.settings.auth_key = std::move(*key);
  }
  if (o.allow.empty())
    fmt::print(stderr,
               "wansteer-reflector: warning: answering any client (give --allow PREFIX for your sites' addresses)\n");
  return std::nullopt;
}

// A file descriptor closed when it goes out of scope, so every early return releases it.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// The UDP socket bound to --listen/--port, asking for each packet's TTL and kernel receive time; -1 with a
// message printed on failure, and the exit status in `*rc`.
int open_socket(const Options& o, int* rc) {
  sockaddr_storage bind_addr{};
  socklen_t bind_len = 0;
  int family = AF_INET;
  if (auto* a4 = reinterpret_cast<sockaddr_in*>(&bind_addr); inet_pton(AF_INET, o.listen.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(uint16_t(o.port));
    bind_len = sizeof(sockaddr_in);
  } else if (auto* a6 = reinterpret_cast<sockaddr_in6*>(&bind_addr);
             inet_pton(AF_INET6, o.listen.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(uint16_t(o.port));
    bind_len = sizeof(sockaddr_in6);
    family = AF_INET6;
  } else {
    fmt::print(stderr, "wansteer-reflector: --listen {}: not an IPv4 or IPv6 address\n", o.listen);
    *rc = 2;
    return -1;
  }
  *rc = 1;
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    fmt::print(stderr, "wansteer-reflector: socket: {}\n", std::strerror(errno));
    return -1;
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
    fmt::print(stderr, "wansteer-reflector: cannot bind {}:{}: {}\n", o.listen, o.port, std::strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

// Signals arrive through a signalfd in the poll set: no race between checking a flag and sleeping.
int open_signal_fd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) fmt::print(stderr, "wansteer-reflector: signalfd: {}\n", std::strerror(errno));
  return sfd;
}

// Reads one datagram with its TTL and kernel receive time; false when the socket is drained.
bool receive(int fd, uint8_t* buf, StampDatagram* d) {
  iovec iov{buf, kMaxDatagram};
  alignas(cmsghdr) char ctrl[256];
  msghdr msg{};
  msg.msg_name = &d->from;
  msg.msg_namelen = sizeof d->from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t n = recvmsg(fd, &msg, 0);
  if (n < 0) return false;  // EAGAIN: drained
  d->data = buf;
  d->len = size_t(n);
  d->from_len = msg.msg_namelen;
  d->rx_realtime_ns = clock_ns(CLOCK_REALTIME);
  d->rx_mono_ns = clock_ns(CLOCK_MONOTONIC);
  d->ttl = 0;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL) ||
        (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT)) {
      std::memcpy(&d->ttl, CMSG_DATA(cm), sizeof d->ttl);
    } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
      d->rx_realtime_ns = uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
    }
  }
  return true;
}

// The socket side of the reflector: reads test packets into the StampReflector and sends what it releases.
class ReflectorLoop {
 public:
  ReflectorLoop(int fd, const Options& o, StampReflector& r) : fd_(fd), verbose_(o.verbose), r_(r) {}

  void send(StampReply& reply) {
    uint8_t buf[kMaxDatagram];
    size_t len = r_.encode(reply, clock_ns(CLOCK_REALTIME), buf);  // transmit time: just before sendto
    if (sendto(fd_, buf, len, 0, reinterpret_cast<sockaddr*>(&reply.to), reply.to_len) >= 0)
      r_.on_sent();
    else if (verbose_)
      fmt::print(stderr, "wansteer-reflector: sendto {}: {}\n", addr_str(reply.to), std::strerror(errno));
  }

  void read_burst() {
    for (int i = 0; i < kBurst; i++) {
      uint8_t buf[kMaxDatagram];
      StampDatagram d;
      if (!receive(fd_, buf, &d)) break;
      StampReply now;
      ReflectorVerdict v = r_.on_datagram(d, &now);
      if (verbose_) log(d, v);
      if (v.kind == ReflectorVerdict::Kind::send_now) send(now);
    }
  }

  void release_due() {
    StampReply reply;
    while (r_.pop_due(clock_ns(CLOCK_MONOTONIC), &reply)) send(reply);
  }

 private:
  static void log(const StampDatagram& d, const ReflectorVerdict& v) {
    using K = ReflectorVerdict::Kind;
    if (v.kind == K::too_short)
      fmt::print(stderr, "wansteer-reflector: {} bytes from {}: too short\n", d.len, addr_str(d.from));
    else if (v.kind == K::denied || v.kind == K::rate_limited || v.kind == K::unauthenticated || v.kind == K::bad_hmac)
      fmt::print(stderr, "wansteer-reflector: {} bytes from {}: {}\n", d.len, addr_str(d.from), refusal(v.kind));
    else if (v.kind == K::dropped)
      fmt::print(stderr, "wansteer-reflector: seq {} from {}: dropped\n", v.sender_seq, addr_str(d.from));
    else
      fmt::print(stderr, "wansteer-reflector: seq {} from {} ttl {}: reply seq {} in {:.3f} ms\n", v.sender_seq,
                 addr_str(d.from), d.ttl, v.reply_seq, v.hold_ms);
  }

  static const char* refusal(ReflectorVerdict::Kind k) {
    using K = ReflectorVerdict::Kind;
    return k == K::denied            ? "not allowed"
           : k == K::rate_limited    ? "over the rate limit"
           : k == K::unauthenticated ? "not an authenticated packet"
                                     : "HMAC does not verify";
  }

  int fd_;
  bool verbose_;
  StampReflector& r_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (std::optional<int> rc = parse_options(argc, argv, o)) return *rc;
  int rc = 0;
  Fd fd(open_socket(o, &rc));
  if (fd.get() < 0) return rc;
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  Fd sfd(open_signal_fd());
  if (sfd.get() < 0) return 1;

  if (!o.settings.auth_key.empty())
    fmt::print(stderr, "wansteer-reflector: authenticated mode (RFC 8762, HMAC-SHA-256), key from {}\n",
               o.auth_key_file);
  fmt::print("wansteer-reflector: listening on {}\n", addr_str(bound));
  std::fflush(stdout);

  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  StampReflector reflector(
      o.settings, [&] { return unit(rng); }, stamp::default_error_estimate());
  ReflectorLoop loop(fd.get(), o, reflector);
  for (;;) {
    pollfd pfd[2] = {{fd.get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    int n = poll(pfd, 2, reflector.wait_ms(clock_ns(CLOCK_MONOTONIC), 1000));
    if (n < 0 && errno != EINTR) {
      fmt::print(stderr, "wansteer-reflector: poll: {}\n", std::strerror(errno));
      return 1;
    }
    if (n > 0 && (pfd[0].revents & POLLIN)) loop.read_burst();
    // Stop only after the packets already queued to us are handled: a sender's packets that reached the socket
    // before the signal are all counted in the summary (tests rely on that instead of sleeping).
    if (n > 0 && (pfd[1].revents & POLLIN)) break;
    loop.release_due();
    reflector.expire_idle(clock_ns(CLOCK_MONOTONIC));
  }

  const ReflectorCounters& c = reflector.counters();
  fmt::print("wansteer-reflector: received={} reflected={} short={} dropped={} sessions={} denied={} rate_limited={}",
             c.received, c.reflected, c.short_packets, c.dropped, c.sessions, c.denied, c.rate_limited);
  if (!o.settings.auth_key.empty()) fmt::print(" unauthenticated={} bad_hmac={}", c.unauthenticated, c.bad_hmac);
  fmt::print("\n");
  std::fflush(stdout);
  return 0;
}
