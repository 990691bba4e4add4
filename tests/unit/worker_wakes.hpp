// Test helper: every worker of a rig sleeps until a packet (an IdleWake each, no doorbells) and knows the others'
// wakes, as DataplaneResources::setup wires them, so a hand-off between workers kicks its receiver.
#pragma once
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "dataplane/idle_wake.hpp"
#include "dataplane/worker.hpp"

namespace wansteer::test {

inline void give_workers_wakes(const std::vector<WorkerContext*>& workers) {
  std::string why;
  for (WorkerContext* w : workers) {
    w->wake = IdleWake::create(&why);
    REQUIRE(w->wake != nullptr);
  }
  for (WorkerContext* w : workers)
    for (size_t i = 0; i < workers.size(); i++) w->wake_of[i] = workers[i]->wake.get();
}

}  // namespace wansteer::test
