// wansteer-reflector end to end on 127.0.0.1: per-session reflector sequence numbers, echoed sender fields and TTL,
// timestamps, short packets, --delay-ms, the exit summary and a clear failure when the port is taken.
#include <catch2/catch.hpp>

#include <algorithm>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "control/health/stamp.hpp"

using namespace wansteer;

extern char** environ;

namespace {

const std::string kBinary = std::string(WANSTEER_BUILD_DIR) + "/control/wansteer-reflector";

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

// The reflector as a child process; stdout and stderr come back through one pipe.
class ReflectorProcess {
 public:
  explicit ReflectorProcess(std::vector<std::string> args) {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    // Loopback clients only, no rate limit, unless a test says otherwise (and no warning on the first line).
    if (std::find(args.begin(), args.end(), "--allow") == args.end())
      args.insert(args.end(), {"--allow", "127.0.0.0/8"});
    if (std::find(args.begin(), args.end(), "--rate-limit") == args.end())
      args.insert(args.end(), {"--rate-limit", "0"});
    args.insert(args.begin(), kBinary);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The unit test binary may have SIGTERM blocked or ignored by its parent: give the child the defaults.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigemptyset(&all);
    sigaddset(&all, SIGTERM);
    sigaddset(&all, SIGINT);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(&pid_, kBinary.c_str(), &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    out_ = fds[0];
    REQUIRE(rc == 0);
  }
  ~ReflectorProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
  }

  // Reads output until a full line arrives (or EOF, or 5 s pass: a hung child fails the test instead of the run).
  std::optional<std::string> read_line() {
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 5000) <= 0) return std::nullopt;
      char tmp[512];
      ssize_t n = read(out_, tmp, sizeof tmp);
      if (n <= 0) return std::nullopt;
      buf_.append(tmp, size_t(n));
    }
  }

  // The UDP port from "wansteer-reflector: listening on 127.0.0.1:PORT".
  uint16_t wait_listening() {
    auto line = read_line();
    REQUIRE(line);
    INFO(*line);
    auto colon = line->rfind(':');
    REQUIRE(line->find("listening on 127.0.0.1:") != std::string::npos);
    return uint16_t(std::stoul(line->substr(colon + 1)));
  }

  // SIGTERM, then the summary line and the exit status.
  std::pair<std::string, int> stop() {
    kill(pid_, SIGTERM);
    auto line = read_line();
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return {line.value_or(""), WIFEXITED(status) ? WEXITSTATUS(status) : -1};
  }

  int wait_exit() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buf_;
};

class Client {
 public:
  explicit Client(int ttl = 17) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    setsockopt(fd_, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
  }
  ~Client() { close(fd_); }
  void send(uint16_t port, const uint8_t* data, size_t len) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(sendto(fd_, data, len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == ssize_t(len));
  }
  void send_probe(uint16_t port, uint32_t seq, uint64_t ts = 0x0123456789abcdefull, uint16_t err = 0x8101) {
    uint8_t buf[stamp::kPacketSize];
    stamp::encode_sender({seq, ts, err}, buf);
    send(port, buf, sizeof buf);
  }
  std::optional<stamp::ReflectorPacket> receive() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return std::nullopt;
    uint8_t buf[2048];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    last_len = n;
    stamp::ReflectorPacket r;
    if (!stamp::decode_reflector(buf, n < 0 ? 0 : size_t(n), &r)) return std::nullopt;
    return r;
  }
  ssize_t last_len = 0;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool have_binary() {
  if (access(kBinary.c_str(), X_OK) == 0) return true;
  WARN("skipped: " << kBinary << " not built");
  return false;
}

}  // namespace

TEST_CASE("reflector: own sequence per session, sender fields and TTL echoed, timestamps, summary",
          "[stamp][reflector]") {
  if (!have_binary()) return;
  ReflectorProcess r({"--listen", "127.0.0.1", "--port", "0"});
  const uint16_t port = r.wait_listening();
  Client a, b(33);
  const uint64_t before = realtime_ns();
  for (uint32_t i = 0; i < 3; i++) {
    a.send_probe(port, 100 + i);
    auto rep = a.receive();
    REQUIRE(rep);
    CHECK(a.last_len == ssize_t(stamp::kPacketSize));
    CHECK(rep->seq == i);  // the reflector's own counter, not the sender's
    CHECK(rep->sender_seq == 100 + i);
    CHECK(rep->sender_timestamp == 0x0123456789abcdefull);
    CHECK(rep->sender_error_estimate == 0x8101);
    CHECK(rep->sender_ttl == 17);
    CHECK(rep->error_estimate == stamp::default_error_estimate());
    const uint64_t rx = stamp::unix_ns_from_ntp(rep->receive_timestamp), tx = stamp::unix_ns_from_ntp(rep->timestamp);
    CHECK(rx <= tx);
    CHECK(rx + 1'000'000 >= before);  // NTP fraction rounding: allow a millisecond
    CHECK(tx <= realtime_ns() + 1'000'000);
  }
  b.send_probe(port, 5);  // another port: another session, its counter starts at 0
  auto rb = b.receive();
  REQUIRE(rb);
  CHECK(rb->seq == 0);
  CHECK(rb->sender_ttl == 33);

  const uint8_t junk[10] = {1, 2, 3};
  a.send(port, junk, sizeof junk);  // ignored and counted
  a.send_probe(port, 103);          // its reply proves the short one was read first
  auto ra = a.receive();
  REQUIRE(ra);
  CHECK(ra->seq == 3);

  auto [summary, rc] = r.stop();
  CHECK(rc == 0);
  CHECK(summary == "wansteer-reflector: received=6 reflected=5 short=1 dropped=0 sessions=2 denied=0 rate_limited=0");
}

TEST_CASE("reflector: --delay-ms holds every reply at least that long", "[stamp][reflector]") {
  if (!have_binary()) return;
  ReflectorProcess r({"--listen", "127.0.0.1", "--port", "0", "--delay-ms", "50"});
  const uint16_t port = r.wait_listening();
  Client c;
  for (uint32_t i = 0; i < 3; i++) {
    auto t0 = std::chrono::steady_clock::now();
    c.send_probe(port, i);
    auto rep = c.receive();
    auto waited = std::chrono::steady_clock::now() - t0;
    REQUIRE(rep);
    CHECK(rep->sender_seq == i);
    CHECK(waited >= std::chrono::milliseconds(50));
    // The transmit timestamp is taken at release, so the reflector's own timestamps show the hold too.
    CHECK(stamp::unix_ns_from_ntp(rep->timestamp) - stamp::unix_ns_from_ntp(rep->receive_timestamp) >= 50'000'000ull);
  }
  auto [summary, rc] = r.stop();
  CHECK(rc == 0);
  CHECK(summary.find("reflected=3") != std::string::npos);
}

TEST_CASE("reflector: a taken port is a clear error and exit status 1", "[stamp][reflector]") {
  if (!have_binary()) return;
  Client holder;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(holder.fd(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  getsockname(holder.fd(), reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  ReflectorProcess r({"--listen", "127.0.0.1", "--port", port});
  auto line = r.read_line();
  REQUIRE(line);
  CHECK(line->find("cannot bind 127.0.0.1:" + port) != std::string::npos);
  CHECK(r.wait_exit() == 1);
}

TEST_CASE("reflector: --loss-pct drops on receive and the session counter skips nothing", "[stamp][reflector]") {
  if (!have_binary()) return;
  SECTION("100 % loss: nothing comes back, every probe is counted as dropped") {
    ReflectorProcess r({"--listen", "127.0.0.1", "--port", "0", "--loss-pct", "100"});
    const uint16_t port = r.wait_listening();
    Client c;
    for (uint32_t i = 0; i < 20; i++) c.send_probe(port, i);
    // Loopback delivers inside sendto and the reflector handles queued packets before the signal.
    auto [summary, rc] = r.stop();
    CHECK(rc == 0);
    CHECK(summary ==
          "wansteer-reflector: received=20 reflected=0 short=0 dropped=20 sessions=0 denied=0 rate_limited=0");
    pollfd p{c.fd(), POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0);
  }
  SECTION("50 % loss: replies carry consecutive reflector numbers, so the sender sees forward loss") {
    ReflectorProcess r({"--listen", "127.0.0.1", "--port", "0", "--loss-pct", "50"});
    const uint16_t port = r.wait_listening();
    Client c;
    for (uint32_t i = 0; i < 200; i++) c.send_probe(port, i);
    auto [summary, rc] = r.stop();
    CHECK(rc == 0);
    std::vector<stamp::ReflectorPacket> replies;
    for (;;) {
      pollfd p{c.fd(), POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) break;  // all replies were sent before the summary was printed
      auto rep = c.receive();
      REQUIRE(rep);
      replies.push_back(*rep);
    }
    // Binomial(200, 0.5) outside [50, 150] has probability below 1e-12.
    CHECK(replies.size() >= 50);
    CHECK(replies.size() <= 150);
    for (size_t k = 0; k < replies.size(); k++) CHECK(replies[k].seq == k);
    CHECK(summary ==
          fmt::format(
              "wansteer-reflector: received=200 reflected={} short=0 dropped={} sessions=1 denied=0 rate_limited=0",
              replies.size(), 200 - replies.size()));
  }
}

TEST_CASE("reflector: --allow and --rate-limit refuse clients, counted, never answered", "[stamp][reflector]") {
  if (!have_binary()) return;
  SECTION("a client outside --allow gets nothing back") {
    ReflectorProcess r({"--listen", "127.0.0.1", "--port", "0", "--allow", "192.0.2.0/24"});
    const uint16_t port = r.wait_listening();
    Client c;
    for (uint32_t i = 0; i < 5; i++) c.send_probe(port, i);
    auto [summary, rc] = r.stop();
    CHECK(rc == 0);
    CHECK(summary == "wansteer-reflector: received=5 reflected=0 short=0 dropped=0 sessions=0 denied=5 rate_limited=0");
    pollfd p{c.fd(), POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0);
  }
  SECTION("a flood from one client is answered up to its burst") {
    ReflectorProcess r({"--listen", "127.0.0.1", "--port", "0", "--rate-limit", "0.001", "--burst", "10"});
    const uint16_t port = r.wait_listening();
    Client c;
    for (uint32_t i = 0; i < 50; i++) c.send_probe(port, i);
    auto [summary, rc] = r.stop();
    CHECK(rc == 0);
    CHECK(summary ==
          "wansteer-reflector: received=50 reflected=10 short=0 dropped=0 sessions=1 denied=0 rate_limited=40");
  }
  SECTION("a malformed --allow is refused at start") {
    ReflectorProcess r({"--listen", "127.0.0.1", "--port", "0", "--allow", "10.0.0.0/40"});
    auto line = r.read_line();
    REQUIRE(line);
    CHECK(line->find("prefix length must be 0..32") != std::string::npos);
    CHECK(r.wait_exit() == 2);
  }
}
