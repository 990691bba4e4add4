// bench/wake_latency: how late this machine wakes a sleeping thread, the floor under adaptive polling's added
// latency (bench/idle). Two figures, each a distribution over --samples:
//  - signalled: a thread blocked in epoll_wait on an eventfd (as an idle worker waits on its doorbells and kick,
//    dataplane/idle_wake.hpp), written by a thread on another CPU every --interval-us; the time from just before
//    the write to the waiter's return. Between samples the waiter's CPU has nothing to do, so on a VM it is halted
//    and the hypervisor must run it again: that wake-up, not the kernel's, is what a sleeping worker pays per packet.
//  - timed nap: clock_nanosleep of --nap-us (timer slack 1 us, as the worker sets it); how much longer it took.
// No DPDK, no network: any machine, any load. Last line:
//   wake_latency signalled_p50_us=A signalled_p99_us=B nap_over_p50_us=C nap_over_p99_us=D
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

namespace {

uint64_t monotonic_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}

void sleep_ns(uint64_t ns) {
  const timespec ts{.tv_sec = static_cast<time_t>(ns / 1'000'000'000u),
                    .tv_nsec = static_cast<long>(ns % 1'000'000'000u)};
  clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
}

bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

Percentiles percentiles(std::vector<uint64_t> ns) {
  std::sort(ns.begin(), ns.end());
  const auto at = [&](double q) { return static_cast<double>(ns[static_cast<size_t>(q * (ns.size() - 1))]) / 1e3; };
  return {at(0.5), at(0.9), at(0.99), at(0.999), at(1.0)};
}

// One sample at a time: the writer stamps and writes only after the waiter took the previous one, so no two
// writes merge into one wake-up. Returns the wake latencies in ns (empty when the eventfd or epoll is refused).
std::vector<uint64_t> signalled(int waiter_cpu, int writer_cpu, unsigned samples, uint64_t interval_ns) {
  const int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{.events = EPOLLIN, .data = {.u64 = 0}};
  if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0) return {};
  std::vector<uint64_t> lat(samples);
  std::atomic<uint64_t> sent_ns{0};
  std::atomic<unsigned> taken{0};
  std::thread waiter([&] {
    pin_to(waiter_cpu);
    prctl(PR_SET_TIMERSLACK, 1000UL);
    for (unsigned i = 0; i < samples;) {
      epoll_event got{};
      if (epoll_wait(ep, &got, 1, 1000) <= 0) continue;
      const uint64_t woke = monotonic_ns();
      uint64_t count = 0;
      if (read(efd, &count, sizeof count) != sizeof count) continue;
      lat[i] = woke - sent_ns.load(std::memory_order_acquire);
      taken.store(++i, std::memory_order_release);
    }
  });
  pin_to(writer_cpu);
  prctl(PR_SET_TIMERSLACK, 1000UL);
  for (unsigned i = 0; i < samples; i++) {
    sleep_ns(interval_ns);
    while (taken.load(std::memory_order_acquire) != i) sleep_ns(interval_ns / 10);
    const uint64_t one = 1;
    sent_ns.store(monotonic_ns(), std::memory_order_release);
    if (write(efd, &one, sizeof one) != sizeof one) break;
  }
  waiter.join();
  close(ep);
  close(efd);
  return lat;
}

// How much longer than nap_ns each of `samples` naps took, in ns.
std::vector<uint64_t> nap_overshoot(int cpu, unsigned samples, uint64_t nap_ns) {
  std::vector<uint64_t> over(samples);
  std::thread t([&] {
    pin_to(cpu);
    prctl(PR_SET_TIMERSLACK, 1000UL);
    for (unsigned i = 0; i < samples; i++) {
      const uint64_t start = monotonic_ns();
      sleep_ns(nap_ns);
      const uint64_t took = monotonic_ns() - start;
      over[i] = took > nap_ns ? took - nap_ns : 0;
    }
  });
  t.join();
  return over;
}

void print(const char* what, const Percentiles& p) {
  fmt::print("{:>10}: p50 {:7.1f} us  p90 {:7.1f} us  p99 {:7.1f} us  p99.9 {:7.1f} us  max {:8.1f} us\n", what, p.p50,
             p.p90, p.p99, p.p999, p.max);
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  unsigned samples = 3000, interval_us = 1000, nap_us = 30;
  std::vector<int> cpus;
  po::options_description opts("bench/wake_latency: how late a sleeping thread wakes here (see the file's head)");
  opts.add_options()("help", "this text")("samples", po::value(&samples)->default_value(samples), "per figure")(
      "interval-us", po::value(&interval_us)->default_value(interval_us), "between signals (1000: 1k packets/s)")(
      "nap-us", po::value(&nap_us)->default_value(nap_us), "the timed nap (wansteer's --max-nap-us default)")(
      "cpus", po::value(&cpus)->multitoken(), "waiter's CPU, then writer's (default: the first two we may use)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "wake_latency: {}\n", e.what());
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << opts;
    return 0;
  }
  if (cpus.empty()) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    sched_getaffinity(0, sizeof allowed, &allowed);
    for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; c++)
      if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  }
  if (cpus.size() < 2 || samples == 0 || interval_us == 0) {
    fmt::print(stderr, "wake_latency: needs two CPUs (--cpus W S), samples and interval above 0\n");
    return 2;
  }
  const std::vector<uint64_t> sig = signalled(cpus[0], cpus[1], samples, uint64_t{interval_us} * 1000);
  if (sig.empty()) {
    fmt::print(stderr, "wake_latency: eventfd/epoll refused\n");
    return 1;
  }
  const Percentiles s = percentiles(sig);
  const Percentiles n = percentiles(nap_overshoot(cpus[0], samples, uint64_t{nap_us} * 1000));
  fmt::print("wake_latency: {} samples, waiter on CPU {}, writer on CPU {}, a signal every {} us, naps of {} us\n",
             samples, cpus[0], cpus[1], interval_us, nap_us);
  print("signalled", s);
  print("nap over", n);
  fmt::print(
      "wake_latency signalled_p50_us={:.1f} signalled_p99_us={:.1f} nap_over_p50_us={:.1f} nap_over_p99_us={:.1f}\n",
      s.p50, s.p99, n.p50, n.p99);
  return 0;
}
