// ScopeExit: runs a cleanup when the scope ends, on every return path, so set-up steps need no hand-written
// teardown. Cleanups run in reverse order of declaration, as destructors do.
#pragma once
#include <utility>

namespace wansteer {

template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() {
    if (armed_) f_();
  }
  void dismiss() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace wansteer
