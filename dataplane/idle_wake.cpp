// IdleWake implementation: the doorbell sockets (AF_PACKET, a classic BPF filter keeping one byte of each incoming
// frame), the kick eventfd and the epoll wait. Syscalls only, never on the packet path.
#include "dataplane/idle_wake.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace wansteer {

std::string doorbell_iface(const std::string& device) {
  if (device.rfind("net_af_packet", 0) != 0) return {};
  size_t at = device.find(',');
  while (at != std::string::npos) {
    const size_t start = at + 1;
    at = device.find(',', start);
    const std::string arg = device.substr(start, at == std::string::npos ? std::string::npos : at - start);
    if (arg.rfind("iface=", 0) == 0) return arg.substr(6);
  }
  return {};
}

namespace {

// One byte of every frame the interface receives (enough to make the socket readable), none of those it sends (the
// kernel's own frames on that interface must not wake the worker).
std::array<sock_filter, 4> wake_ring_program() {
  return {{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE)),
           BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 1), BPF_STMT(BPF_RET | BPF_K, 0),
           BPF_STMT(BPF_RET | BPF_K, 1)}};
}

bool wake_attach(int fd, sock_filter* code, unsigned short len) {
  const sock_fprog prog{.len = len, .filter = code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0;
}

void wake_close(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

}  // namespace

std::unique_ptr<IdleWake> IdleWake::create(std::string* why) {
  std::unique_ptr<IdleWake> w(new IdleWake());
  w->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  w->kick_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->epoll_fd_ < 0 || w->kick_fd_ < 0) {
    *why = fmt::format("epoll/eventfd: {}", strerror(errno));
    return nullptr;
  }
  epoll_event ev{.events = EPOLLIN, .data = {.u32 = kKickBit}};
  if (epoll_ctl(w->epoll_fd_, EPOLL_CTL_ADD, w->kick_fd_, &ev) != 0) {
    *why = fmt::format("epoll_ctl: {}", strerror(errno));
    return nullptr;
  }
  return w;
}

IdleWake::~IdleWake() {
  for (unsigned i = 0; i < n_bells_; i++) wake_close(&bells_[i]);
  wake_close(&kick_fd_);
  wake_close(&epoll_fd_);
}

bool IdleWake::add_doorbell(int ifindex, std::string* why) {
  if (n_bells_ == kMaxPorts) {
    *why = "too many doorbells";
    return false;
  }
  // Protocol 0 until bind: no whole frame is queued before the filter is in place.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  std::array<sock_filter, 4> ring = wake_ring_program();
  const int smallest = 0;  // the kernel rounds it up to its minimum: one queued frame is all a doorbell needs
  sockaddr_ll at{};
  at.sll_family = AF_PACKET;
  at.sll_protocol = htons(ETH_P_ALL);
  at.sll_ifindex = ifindex;
  epoll_event ev{.events = EPOLLIN, .data = {.u32 = n_bells_}};
  if (fd < 0 || !wake_attach(fd, ring.data(), static_cast<unsigned short>(ring.size())) ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &smallest, sizeof(smallest)) != 0 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof(at)) != 0 ||
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    *why = fmt::format("AF_PACKET socket on ifindex {}: {}", ifindex, strerror(errno));
    wake_close(&fd);
    return false;
  }
  bells_[n_bells_++] = fd;
  return true;
}

bool IdleWake::add_doorbell(const std::string& iface, std::string* why) {
  const unsigned ifindex = if_nametoindex(iface.c_str());
  if (ifindex == 0) {
    *why = fmt::format("interface {}: {}", iface, strerror(errno));
    return false;
  }
  return add_doorbell(static_cast<int>(ifindex), why);
}

void IdleWake::arm() {
  // Dekker with kick_if_asleep: the worker stores `asleep` and then looks at its rings one last time; control
  // enqueues and then loads `asleep`. With a full fence on each side, either the worker sees the packet or control
  // sees the mark and kicks: no wake-up is lost. (A seq_cst store or load alone is not a StoreLoad fence for the
  // ring's release/acquire accesses.)
  asleep_.store(true, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // The frames queued while the worker was awake (the buffer's worth, the rest were dropped cheaply) are old news:
  // its last look serves them. From here on a frame leaves the doorbell readable until the wait.
  char byte;
  for (unsigned i = 0; i < n_bells_; i++)
    while (recv(bells_[i], &byte, 1, MSG_DONTWAIT | MSG_TRUNC) >= 0) {
    }
}

IdleWake::Woken IdleWake::wait(int timeout_ms) {
  std::array<epoll_event, kMaxPorts + 1> ready{};
  const int n = epoll_wait(epoll_fd_, ready.data(), static_cast<int>(ready.size()), timeout_ms);
  for (int i = 0; i < n; i++) rang_ |= 1U << ready[static_cast<size_t>(i)].data.u32;
  if ((rang_ & ~(1U << kKickBit)) != 0) return Woken::kPacket;
  // A signal (n < 0) counts as a timeout: the worker just looks again.
  return rang_ != 0 ? Woken::kKick : Woken::kTimeout;
}

void IdleWake::disarm() {
  // A kick is emptied here, a doorbell at the next arm(): one syscall after a wake, the least that can be.
  uint64_t count;
  if ((rang_ & (1U << kKickBit)) != 0 && read(kick_fd_, &count, sizeof(count)) < 0) {
    // EAGAIN: emptied already
  }
  rang_ = 0;
  asleep_.store(false, std::memory_order_relaxed);
}

void IdleWake::kick_if_asleep() {
  std::atomic_thread_fence(std::memory_order_seq_cst);  // our enqueue before the load: see arm()
  if (asleep_.load(std::memory_order_seq_cst)) kick();
}

void IdleWake::kick() {
  const uint64_t one = 1;
  if (write(kick_fd_, &one, sizeof(one)) < 0) {
    // EAGAIN only when the counter is near 2^64: the worker is woken already
  }
}

}  // namespace wansteer
