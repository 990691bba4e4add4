// FlowCache tests: insert/lookup, idle aging by the sweep, bounded size with counted evictions.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstring>

#include <rte_lcore.h>

#include "dataplane/flow_cache.hpp"

using namespace wansteer;

namespace {

FlowKey key_for(uint32_t i) {
  FlowKey k{};
  k.src[0] = 10;
  k.src[1] = static_cast<uint8_t>(i >> 16);
  k.src[2] = static_cast<uint8_t>(i >> 8);
  k.src[3] = static_cast<uint8_t>(i);
  k.dst[0] = 203;
  k.sport = static_cast<uint16_t>(1000 + (i & 0x3ff));
  k.dport = 443;
  k.proto = 6;
  k.l3 = 4;
  return k;
}

uint32_t hash_for(uint32_t i) { return i * 2654435761u; }

std::string unique_name(const char* base) {
  static std::atomic<int> n{0};
  return std::string(base) + std::to_string(n++);
}

}  // namespace

TEST_CASE("flow cache remembers class and link per 5-tuple", "[flow_cache]") {
  std::string err;
  auto fc = FlowCache::create(unique_name("fc_basic"), 1024, SOCKET_ID_ANY, &err);
  REQUIRE(fc);
  WorkerCounters c;
  FlowKey k = key_for(1);
  FlowEntry* e = fc->insert(k, hash_for(1), c);
  REQUIRE(e != nullptr);
  e->class_id = 3;
  e->link = 1;
  e->last_seen_tsc = 100;

  FlowKey keys[2] = {key_for(1), key_for(2)};
  uint32_t hashes[2] = {hash_for(1), hash_for(2)};
  FlowEntry* out[2];
  fc->lookup_burst(keys, hashes, 2, out);
  REQUIRE(out[0] != nullptr);
  CHECK(out[0]->class_id == 3);
  CHECK(out[0]->link == 1);
  CHECK(out[1] == nullptr);
  CHECK(fc->size() == 1);
  CHECK(c.flow_inserts.get() == 1);
}

TEST_CASE("idle flows are aged out by the sweep, active ones stay", "[flow_cache]") {
  std::string err;
  auto fc = FlowCache::create(unique_name("fc_age"), 1024, SOCKET_ID_ANY, &err);
  REQUIRE(fc);
  WorkerCounters c;
  for (uint32_t i = 0; i < 100; i++) {
    FlowEntry* e = fc->insert(key_for(i), hash_for(i), c);
    REQUIRE(e != nullptr);
    e->last_seen_tsc = (i % 2 == 0) ? 1000 : 5000;  // even flows idle since t=1000, odd ones seen at t=5000
  }
  // At t=6000 with a 2000-tick timeout, the even flows are idle too long.
  for (int round = 0; round < 50; round++) fc->expire_some(6000, 2000, 64, c);
  CHECK(fc->size() == 50);
  CHECK(c.flow_expired.get() == 50);
  FlowKey keys[2] = {key_for(0), key_for(1)};
  uint32_t hashes[2] = {hash_for(0), hash_for(1)};
  FlowEntry* out[2];
  fc->lookup_burst(keys, hashes, 2, out);
  CHECK(out[0] == nullptr);
  CHECK(out[1] != nullptr);
}

TEST_CASE("a full flow cache evicts and counts, and never grows past its capacity", "[flow_cache]") {
  std::string err;
  const uint32_t cap = 1024;
  auto fc = FlowCache::create(unique_name("fc_full"), cap, SOCKET_ID_ANY, &err);
  REQUIRE(fc);
  WorkerCounters c;
  uint32_t inserted = 0;
  for (uint32_t i = 0; i < 3 * cap; i++)
    if (fc->insert(key_for(i), hash_for(i), c) != nullptr) inserted++;
  CHECK(inserted + c.flow_uncached.get() == 3 * cap);
  CHECK(fc->size() <= cap);
  CHECK(c.flow_evictions.get() > 0);
  CHECK(c.flow_inserts.get() == fc->size() + c.flow_evictions.get());
  // The newest flow is always findable right after its insert.
  FlowKey k = key_for(3 * cap - 1);
  uint32_t h = hash_for(3 * cap - 1);
  FlowEntry* out[1];
  fc->lookup_burst(&k, &h, 1, out);
  CHECK(out[0] != nullptr);
}

TEST_CASE("inserting a key that is already cached returns its entry and counts nothing", "[flow_cache]") {
  std::string err;
  auto fc = FlowCache::create(unique_name("fc_dup"), 1024, SOCKET_ID_ANY, &err);
  REQUIRE(fc);
  WorkerCounters c;
  FlowEntry* a = fc->insert(key_for(7), hash_for(7), c);
  FlowEntry* b = fc->insert(key_for(7), hash_for(7), c);
  CHECK(a == b);
  CHECK(fc->size() == 1);
  CHECK(c.flow_inserts.get() == 1);
}

TEST_CASE("after a full aging sweep the heaviest flows are published for show flows", "[flow_cache]") {
  std::string err;
  auto fc = FlowCache::create(unique_name("fc_top"), 1024, SOCKET_ID_ANY, &err);
  REQUIRE(fc);
  WorkerCounters c;
  for (uint32_t i = 0; i < 40; i++) {
    FlowEntry* e = fc->insert(key_for(i), hash_for(i), c);
    REQUIRE(e != nullptr);
    CHECK(e->packets == 0);  // a new entry starts from zero
    e->class_id = 1;
    e->link = 0;
    e->last_seen_tsc = 1000;
    e->packets = i;
    e->bytes = 100ull * i;
  }
  std::vector<TopFlow> top;
  REQUIRE(fc->read_top_flows(&top));
  CHECK(top.empty());  // nothing published before a sweep completes
  // Sweep the whole table (nothing is idle at now = 1000): the board is published when the sweep wraps.
  for (int round = 0; round < 100 && top.empty(); round++) {
    fc->expire_some(1000, 1'000'000, 32, c);
    REQUIRE(fc->read_top_flows(&top));
  }
  REQUIRE(top.size() == kTopFlows);
  uint64_t min_bytes = ~0ull;
  for (const TopFlow& f : top) min_bytes = std::min(min_bytes, f.bytes);
  CHECK(min_bytes == 100ull * (40 - kTopFlows));  // exactly the 16 heaviest of 40
  CHECK(fc->size() == 40);
}

// The NAT hint lives in the slot, in the source address's bytes 12..15, which an IPv4 key does not use: every kind of
// lookup must still find the flow, an insert of the same key must not add a second entry, and IPv6 keys, whose
// address does use those bytes, must stay distinct.
TEST_CASE("an IPv4 flow's NAT hint sits in its slot and changes no lookup", "[flow_cache]") {
  std::string err;
  auto fc = FlowCache::create(unique_name("fc_hint"), 1024, SOCKET_ID_ANY, &err);
  REQUIRE(fc);
  WorkerCounters c;
  const FlowKey k = key_for(7);
  FlowEntry* e = fc->insert(k, hash_for(7), c);
  REQUIRE(e != nullptr);
  CHECK(FlowCache::nat_hint(e) == 0);  // a new entry names no session
  FlowCache::set_nat_hint(e, 0xa1b2c3d4u);
  CHECK(FlowCache::nat_hint(e) == 0xa1b2c3d4u);

  FlowEntry* out = nullptr;
  fc->lookup_burst(&k, std::array<uint32_t, 1>{hash_for(7)}.data(), 1, &out);
  CHECK(out == e);
  PacketMeta m{};
  std::memcpy(m.src.data(), k.src, 16);
  std::memcpy(m.dst.data(), k.dst, 16);
  m.sport = k.sport;
  m.dport = k.dport;
  m.proto = k.proto;
  m.l3 = k.l3;
  m.flow_hash = hash_for(7);
  const PacketMeta* mp = &m;
  out = nullptr;
  fc->lookup_burst(&mp, 1, &out);
  CHECK(out == e);
  uint64_t addrs = 0;
  std::memcpy(&addrs, k.src, 4);
  std::memcpy(reinterpret_cast<uint8_t*>(&addrs) + 4, k.dst, 4);
  const uint64_t tail = FlowKey4::tail_of(uint32_t{k.sport} | uint32_t{k.dport} << 16, k.proto);
  CHECK(fc->find(FlowKey4{addrs, tail}, hash_for(7)) == e);
  CHECK(fc->insert(k, hash_for(7), c) == e);
  CHECK(fc->size() == 1);
  CHECK(FlowCache::nat_hint(e) == 0xa1b2c3d4u);

  FlowKey v6a = key_for(8);
  v6a.l3 = static_cast<uint8_t>(L3::ipv6);
  FlowKey v6b = v6a;
  v6b.src[13] = 0x55;  // differs from v6a only where an IPv4 key keeps its hint
  FlowEntry* ea = fc->insert(v6a, hash_for(8), c);
  FlowEntry* eb = fc->insert(v6b, hash_for(8), c);
  REQUIRE(ea != nullptr);
  REQUIRE(eb != nullptr);
  CHECK(ea != eb);
  CHECK(fc->size() == 3);
  FlowEntry* both[2] = {nullptr, nullptr};
  const FlowKey keys[2] = {v6b, v6a};
  const uint32_t hashes[2] = {hash_for(8), hash_for(8)};
  fc->lookup_burst(keys, hashes, 2, both);
  CHECK(both[0] == eb);
  CHECK(both[1] == ea);
  m.l3 = static_cast<uint8_t>(L3::ipv6);
  std::memcpy(m.src.data(), v6a.src, 16);
  std::memcpy(m.dst.data(), v6a.dst, 16);
  m.sport = v6a.sport;
  m.flow_hash = hash_for(8);
  out = nullptr;
  fc->lookup_burst(&mp, 1, &out);
  CHECK(out == ea);
}
