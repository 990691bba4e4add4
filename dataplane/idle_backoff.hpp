// IdleBackoff: when an idle worker naps, and for how long (adaptive polling). A pure class over TSC readings the
// worker already takes, so the policy is unit-tested without a clock; the worker does the sleeping (worker.cpp).
#pragma once
#include <algorithm>
#include <cstdint>

namespace wansteer {

// Why a back-off sleep and not DPDK's ethdev power management (rte_power_ethdev_pmgmt_queue_enable): our ports are
// virtual (af_packet, af_xdp, memif, pcap, ring, null). They raise no Rx interrupt the monitor mode could wait on
// (it needs the PMD's get_monitor_addr), so the library offers only its pause mode (rte_pause / TPAUSE, still
// running the core, 100 % in /proc) or frequency scaling (needs cpufreq, absent in VMs and containers). A nap in
// the kernel frees the core for other work on every port type, and the worker also has rings (hand-offs, control)
// no ethdev queue knows about.
struct IdleBackoffConfig {
  // Keep polling this long after the last work: packets of a burst or a TCP window arrive microseconds apart, so
  // they are served at busy-poll latency. At 1,000 packets/s this costs 1,000 x spin of a core (2.5 %).
  uint64_t spin_tsc = 0;
  // Naps grow from min to max, doubling: traffic that pauses briefly finds the worker soon, a long-idle worker
  // wakes max_nap_ns apart. max bounds what a packet can wait for the worker (the added latency at low rates).
  uint64_t min_nap_ns = 5'000;
  uint64_t max_nap_ns = 30'000;

  static constexpr uint64_t kSpinNs = 25'000;
  // The defaults for a TSC of `hz` ticks per second.
  static IdleBackoffConfig for_tsc_hz(uint64_t hz) {
    return IdleBackoffConfig{.spin_tsc = hz * kSpinNs / 1'000'000'000};
  }
};

class IdleBackoff {
 public:
  explicit IdleBackoff(const IdleBackoffConfig& c) : c_(c), nap_ns_(c.min_nap_ns) {}

  // The worker moved packets (or has some waiting) at `now_tsc`: poll on, and the next naps start short again.
  void busy(uint64_t now_tsc) {
    last_work_tsc_ = now_tsc;
    nap_ns_ = c_.min_nap_ns;
  }

  // An iteration at `now_tsc` found nothing: how long to nap now in ns; 0 = poll again at once (still spinning).
  uint64_t idle(uint64_t now_tsc) {
    if (now_tsc - last_work_tsc_ < c_.spin_tsc) return 0;
    const uint64_t nap = nap_ns_;
    nap_ns_ = std::min(nap_ns_ * 2, c_.max_nap_ns);
    return nap;
  }

 private:
  IdleBackoffConfig c_;
  uint64_t last_work_tsc_ = 0;
  uint64_t nap_ns_;
};

}  // namespace wansteer
