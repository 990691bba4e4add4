// SnapshotHandover: how an HTTP thread gets a fresh copy of control state without ever reading it. The HTTP thread
// raises a request and waits (bounded); the control thread, on its next tick, builds a snapshot and hands it over.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

namespace wansteer {

template <class T>
class SnapshotHandover {
 public:
  struct Fetched {
    std::shared_ptr<const T> snapshot;  // null until control delivered one
    bool fresh = false;                 // false: control did not answer within the wait, this is the previous one
  };

  // HTTP thread: asks for a snapshot and waits up to `wait` for control to deliver one.
  Fetched fetch(std::chrono::milliseconds wait) {
    std::unique_lock lk(mu_);
    const uint64_t seen = delivered_;
    requested_.store(true, std::memory_order_release);
    const bool fresh = delivered_cv_.wait_for(lk, wait, [&] { return delivered_ != seen; });
    return {last_, fresh};
  }

  // Control thread, every tick: when a request waits, calls build() and hands its result over. True when it built
  // one; one atomic exchange when nobody asks.
  template <class Build>
  bool serve_pending(Build&& build) {
    if (!requested_.exchange(false, std::memory_order_acq_rel)) return false;
    // Built outside the lock: the HTTP thread waits, it never blocks the control thread.
    auto snap = std::make_shared<const T>(build());
    {
      std::lock_guard lk(mu_);
      last_ = std::move(snap);
      delivered_++;
    }
    delivered_cv_.notify_all();
    return true;
  }

 private:
  std::atomic<bool> requested_{false};  // http: set, cp: exchange(false)
  std::mutex mu_;
  std::condition_variable delivered_cv_;
  uint64_t delivered_ = 0;         // guarded by mu_: snapshots handed over so far
  std::shared_ptr<const T> last_;  // guarded by mu_
};

}  // namespace wansteer
