// Send counters shared by several workers sealing with one keypair: each counter used once, messages out of order
// by a bounded amount that the receiver's replay window absorbs, and exhaustion stops sending without wrapping.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "dataplane/overlay/transport.hpp"
#include "dataplane/overlay/transport_keys.hpp"

using namespace wansteer;

namespace {

using Message = std::vector<uint8_t>;

// A keypair as control would publish it, and the receiver's mirror of it.
struct SharedKey {
  wg::TransportKeys keys;
  wg::Keypair receiver;
  SharedKey() {
    for (size_t i = 0; i < wg::kKeySize; i++) keys.send_key[i] = static_cast<uint8_t>(i * 13 + 1);
    keys.remote_index = 0x1234;
    receiver.recv_key = keys.send_key;
    receiver.local_index = keys.remote_index;
  }
  // Opens messages in order as the one receiver: how many authenticated and were new.
  size_t open_all(const std::vector<Message>& wire) {
    uint8_t back[64];
    size_t back_len = 0, opened = 0;
    for (const auto& m : wire)
      opened +=
          wg::open_transport(rx, receiver, m.data(), m.size(), back, sizeof back, &back_len) == wg::OpenResult::ok;
    return opened;
  }
  wg::ChaChaPoly rx;
};

// One worker's burst: a counter per packet from its lease, sealed, then the rest of the block dropped.
std::vector<Message> seal_burst(wg::ChaChaPoly& aead, wg::CounterLease& lease, const wg::TransportKeys& k, int n) {
  std::vector<Message> out;
  for (int i = 0; i < n; i++) {
    uint8_t inner[20] = {0x45, static_cast<uint8_t>(i)};
    uint64_t counter = 0;
    if (!lease.take(k.counter, &counter)) break;
    Message m(wg::sealed_size(sizeof inner));
    size_t len = 0;
    if (wg::seal_transport_at(aead, k.send_key, k.remote_index, counter, inner, sizeof inner, m.data(), m.size(),
                              &len) == wg::SealResult::ok)
      out.push_back(std::move(m));
  }
  lease.end_burst();
  return out;
}

uint64_t counter_of(const Message& m) { return wg::get_le64(m.data() + wg::transport::kCounter); }

}  // namespace

TEST_CASE("send counter: workers sealing concurrently never reuse a counter; the receiver opens every message",
          "[overlay_counter]") {
  SharedKey sk;
  constexpr int kWorkers = 4, kBursts = 32, kBurst = 32;
  // 4096 messages in all, below the 8128 the window spans, so the verdict does not depend on how a busy machine
  // schedules the threads (the bounded disorder itself is the next test's).
  std::mutex mu;
  std::vector<Message> wire;  // in the order the workers put them out
  std::vector<std::thread> workers;
  workers.reserve(kWorkers);
  for (int w = 0; w < kWorkers; w++)
    workers.emplace_back([&] {
      wg::ChaChaPoly aead;
      wg::CounterLease lease;
      for (int b = 0; b < kBursts; b++) {
        auto burst = seal_burst(aead, lease, sk.keys, kBurst);
        const std::lock_guard<std::mutex> hold(mu);
        for (auto& m : burst) wire.push_back(std::move(m));
      }
    });
  for (auto& t : workers) t.join();
  REQUIRE(wire.size() == size_t{kWorkers * kBursts * kBurst});
  std::set<uint64_t> seen;
  for (const auto& m : wire) seen.insert(counter_of(m));
  CHECK(seen.size() == wire.size());  // no counter twice
  // Each burst reserved one block of 64 and used 32 of it.
  CHECK(sk.keys.counter.used() == uint64_t{kWorkers * kBursts} * wg::kCounterBlock);

  CHECK(sk.open_all(wire) == wire.size());
  CHECK(sk.open_all({wire[7]}) == 0);  // a replay
}

TEST_CASE(
    "send counter: 16 workers interleaved worst-case stay inside the replay window; a block kept across "
    "bursts would not",
    "[overlay_counter]") {
  SharedKey sk;
  constexpr int kWorkers = 16, kRounds = 40, kBurst = 32;
  wg::ChaChaPoly aead;
  std::vector<wg::CounterLease> leases(kWorkers);
  std::vector<Message> wire;
  uint64_t newest = 0, worst_behind = 0;
  for (int r = 0; r < kRounds; r++) {
    // All workers reserve in this round; the first to reserve is the last to put its burst out.
    std::vector<std::vector<Message>> bursts;
    bursts.reserve(kWorkers);
    for (int w = 0; w < kWorkers; w++) bursts.push_back(seal_burst(aead, leases[w], sk.keys, kBurst));
    for (int w = kWorkers - 1; w >= 0; w--)
      for (auto& m : bursts[w]) {
        newest = std::max(newest, counter_of(m));
        worst_behind = std::max(worst_behind, newest - counter_of(m));
        wire.push_back(std::move(m));
      }
  }
  CHECK(worst_behind < uint64_t{kWorkers} * wg::kCounterBlock);
  CHECK(worst_behind + wg::kCounterBlock > uint64_t{kWorkers - 1} * wg::kCounterBlock);  // the order was adversarial
  CHECK(sk.open_all(wire) == wire.size());

  // A worker that kept its block while another sealed 130 bursts (8320 counters reserved, more than the window):
  // its next counter is refused as too old.
  wg::CounterLease keeper;
  uint64_t kept = 0;
  REQUIRE(keeper.take(sk.keys.counter, &kept));
  wg::CounterLease busy;
  for (int b = 0; b < 130; b++) {
    const auto burst = seal_burst(aead, busy, sk.keys, kBurst);
    REQUIRE(sk.open_all(burst) == burst.size());
  }
  REQUIRE(keeper.take(sk.keys.counter, &kept));
  uint8_t inner[20] = {0x45};
  Message late(wg::sealed_size(sizeof inner));
  size_t len = 0;
  REQUIRE(wg::seal_transport_at(aead, sk.keys.send_key, sk.keys.remote_index, kept, inner, sizeof inner, late.data(),
                                late.size(), &len) == wg::SealResult::ok);
  uint8_t back[64];
  size_t back_len = 0;
  CHECK(wg::open_transport(sk.rx, sk.receiver, late.data(), len, back, sizeof back, &back_len) ==
        wg::OpenResult::replayed);  // too old
}

TEST_CASE("send counter: exhaustion at REJECT_AFTER_MESSAGES stops sending and never wraps", "[overlay_counter]") {
  wg::SendCounter source;
  source.next = wg::kRejectAfterMessages - 3;
  wg::CounterLease a, b;
  uint64_t c = 0;
  std::vector<uint64_t> got;
  while (a.take(source, &c)) got.push_back(c);
  CHECK(got == std::vector<uint64_t>{wg::kRejectAfterMessages - 3, wg::kRejectAfterMessages - 2,
                                     wg::kRejectAfterMessages - 1});
  // Every further try, from any worker, fails without moving the counter on: it cannot wrap to used values.
  for (int i = 0; i < 1000; i++) {
    a.end_burst();
    CHECK_FALSE(a.take(source, &c));
    CHECK_FALSE(b.take(source, &c));
  }
  CHECK(source.used() == wg::kRejectAfterMessages - 3 + wg::kCounterBlock);
  uint64_t first = 0;
  CHECK_FALSE(source.reserve(1, &first));
}
