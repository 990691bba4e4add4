// ScopeExit, the daemon's teardown guard: runs on every way out of a scope, in reverse order, unless dismissed.
#include <catch2/catch.hpp>

#include <string>

#include "control/runtime/scope_exit.hpp"

using namespace wansteer;

namespace {

// Sets up three things and leaves early after `steps` of them, as a failed start-up does.
std::string set_up(int steps, std::string& log) {
  log += "a";
  ScopeExit undo_a([&] { log += "A"; });
  if (steps == 1) return "failed at b";
  log += "b";
  ScopeExit undo_b([&] { log += "B"; });
  if (steps == 2) return "failed at c";
  log += "c";
  ScopeExit undo_c([&] { log += "C"; });
  return "ok";
}

}  // namespace

TEST_CASE("scope exit: each early return undoes exactly what was set up, newest first", "[scope_exit]") {
  std::string log;
  set_up(1, log);
  CHECK(log == "aA");
  log.clear();
  set_up(2, log);
  CHECK(log == "abBA");
  log.clear();
  set_up(3, log);
  CHECK(log == "abcCBA");
}

TEST_CASE("scope exit: a dismissed guard does nothing", "[scope_exit]") {
  int runs = 0;
  {
    ScopeExit g([&] { runs++; });
    g.dismiss();
  }
  CHECK(runs == 0);
}
