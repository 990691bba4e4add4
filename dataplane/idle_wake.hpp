// IdleWake: lets an idle worker sleep until a packet arrives instead of napping on a timer (issue 14). Made by
// control at set-up, one per worker; the worker arms, waits and disarms it only after an idle spell (worker.cpp).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/limits.hpp"

namespace wansteer {

// The kernel interface behind a policy device a doorbell can watch: the `iface=` devarg of a net_af_packet vdev
// ("net_af_packet0,iface=veth-lan,qdisc_bypass=1" -> "veth-lan"). Empty for every other port type: net_ring,
// net_null, net_pcap and net_memif have no kernel interface, and af_xdp's XDP redirect bypasses packet taps.
std::string doorbell_iface(const std::string& device);

// An epoll set over one eventfd (the kick: control has queued work, or the daemon stops) and one "doorbell" per
// polled port. DPDK 22.11's af_packet PMD has no Rx interrupt and keeps its socket to itself, so a doorbell is our
// own AF_PACKET socket on the port's interface, keeping one byte of every incoming frame: readable, it ends the
// wait. Its receive buffer is the kernel's smallest, so while the worker is awake a couple of frames queue and the
// rest are dropped before they are copied (a short filter and a size check per frame). The filter stays attached
// for good: attaching one costs 5-8 us here (the kernel compiles it), a recv 0.2 us.
class IdleWake {
 public:
  enum class Woken : uint8_t { kPacket, kKick, kTimeout };

  // The epoll set and the eventfd; null with *why when the kernel refuses them.
  static std::unique_ptr<IdleWake> create(std::string* why);
  ~IdleWake();
  IdleWake(const IdleWake&) = delete;
  IdleWake& operator=(const IdleWake&) = delete;

  // A doorbell on the interface with this index (the daemon's network namespace); false with *why.
  bool add_doorbell(int ifindex, std::string* why);
  // The same by interface name.
  bool add_doorbell(const std::string& iface, std::string* why);
  unsigned doorbells() const { return n_bells_; }

  // Worker, before its last look for work: marks it asleep, then empties the doorbells. Whatever arrives after this
  // ends the next wait; what arrived before, the worker's last look must find.
  void arm();
  // Worker: waits until a doorbell rings, a kick, or timeout_ms; the reason (a packet wins over a kick).
  Woken wait(int timeout_ms);
  // Worker, awake again: empties the eventfd if it rang and clears the asleep mark.
  void disarm();

  // Control, after queueing work for this worker: wakes it if it is (about to be) asleep. Costs one atomic load
  // when it is awake.
  void kick_if_asleep();
  // Wakes the worker whether it sleeps or not (stopping: it must see its stop flag now, not after the timeout).
  void kick();

 private:
  IdleWake() = default;

  alignas(64) std::atomic<bool> asleep_{false};  // dp: rw, cp: ro (the Dekker pair with control's ring enqueue)
  int epoll_fd_ = -1;
  int kick_fd_ = -1;
  int bells_[kMaxPorts] = {};
  unsigned n_bells_ = 0;
  static constexpr unsigned kKickBit = kMaxPorts;  // in rang_ and in the eventfd's epoll data; doorbell i is bit i
  uint32_t rang_ = 0;                              // what ended the waits since the last disarm
  static_assert(kMaxPorts < 32);
  static_assert(std::atomic<bool>::is_always_lock_free);
};

}  // namespace wansteer
