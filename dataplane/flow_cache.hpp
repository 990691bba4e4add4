// FlowCache: per-worker 5-tuple -> (class, link) memory, with idle aging and bounded size.
//
// Layout. An open-addressed table of 64-byte slots, each one cache line holding a flow's key and its entry, so a
// lookup that hits costs one cache line, and that line can be prefetched as soon as the flow hash is known
// (prefetch()). rte_hash needed three lines per hit (bucket, 56-byte key slot, separate entry array) and offered
// no way to prefetch them early; with 10k flows that was ~17% of the worker's cycles in bench/throughput.
//
// Probing. A key lives in one of kWindow consecutive slots from home = hash & mask (linear, wrapping). Deleted
// slots become tombstones, never moved entries, so a FlowEntry* stays valid until its own flow is removed (the
// forwarding code holds several across a burst). Lookups stop at the first empty slot or after the window. The
// table has at least twice as many slots as the capacity, so windows are rarely full; when one is, insert evicts
// the window's least recently seen flow (counted as an eviction), as it evicts at the sweep cursor when the
// whole cache holds `capacity` flows.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <rte_prefetch.h>

#include "dataplane/counters.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/parse.hpp"

namespace wansteer {

struct FlowKey {
  uint8_t src[16];
  uint8_t dst[16];
  uint16_t sport;
  uint16_t dport;
  uint16_t vlan;
  uint8_t proto;
  uint8_t
      l3;  // L3 enum value; kHostPair set marks a host-pair key (dataplane/host_pair_steer.cpp), never a 5-tuple one

  static constexpr uint8_t kHostPair = 0x80;
};
static_assert(sizeof(FlowKey) == 40);
// FlowCache compares cached keys with PacketMeta's first 36 bytes directly (FlowCache::same_key).
static_assert(offsetof(FlowKey, src) == offsetof(PacketMeta, src) &&
              offsetof(FlowKey, dst) == offsetof(PacketMeta, dst) &&
              offsetof(FlowKey, sport) == offsetof(PacketMeta, sport) &&
              offsetof(FlowKey, dport) == offsetof(PacketMeta, dport) && offsetof(FlowKey, dport) == 34);

struct FlowEntry {
  uint64_t last_seen_tsc;
  uint64_t bytes;  // forwarded since the flow was (re)classified: for `show flows`
  uint32_t packets;
  uint16_t policy_generation;  // flow_generation(snapshot's): entries from an older policy are reclassified
  uint8_t class_id;
  uint8_t link;
};
static_assert(sizeof(FlowEntry) == 24, "key + entry must stay one cache line");

// The policy generation as kept in a flow entry: its low 16 bits. A flow would have to stay active across 65536
// reloads to be mistaken for current; flows idle out in seconds.
inline uint16_t flow_generation(uint32_t policy_generation) { return static_cast<uint16_t>(policy_generation); }

// The heaviest flows one worker saw during its last full aging sweep, for `wansteerctl show flows`.
struct TopFlow {
  FlowKey key;
  uint64_t bytes;
  uint64_t last_seen_tsc;
  uint32_t packets;
  uint8_t class_id;
  uint8_t link;
};
inline constexpr uint32_t kTopFlows = 16;

// Written by the owning worker (seqlock: seq odd while writing), read by control. The worker never waits.
struct TopFlowsBoard {
  std::atomic<uint32_t> seq{0};
  uint32_t n = 0;
  TopFlow flows[kTopFlows];
};

// The key of an IPv4 TCP/UDP flow, as the LAN fast lane builds it straight from the header: equal to the FlowKey
// of the same packet (addresses zero-padded to 16 bytes, the frame's VLAN id (0 untagged), l3 ipv4) in two words.
struct FlowKey4 {
  uint64_t addrs;  // source (low 4 bytes) and destination address as they sit in the IPv4 header
  uint64_t tail;   // FlowKey's last 8 bytes: sport | dport << 16 | vlan << 32 | proto << 48 | l3 << 56
  // ports: sport | dport << 16, host order. With vlan 0: the word the IPv4 flow hash is taken over (the hash leaves
  // the VLAN out, so a flow's tagged and untagged packets hash alike, as parse_packet's flow_hash does).
  static uint64_t tail_of(uint32_t ports, uint8_t proto) { return ipv4_flow_tail(ports, proto); }
  static uint64_t with_vlan(uint64_t tail, uint16_t vlan) { return tail | uint64_t{vlan} << 32; }
};
static_assert(offsetof(FlowKey, sport) == 32 && offsetof(FlowKey, vlan) == 36 && offsetof(FlowKey, proto) == 38 &&
              offsetof(FlowKey, l3) == 39 && offsetof(FlowKey, dst) == 16 && static_cast<uint8_t>(L3::ipv4) == 4);

inline void flow_key_from_meta(const PacketMeta& m, FlowKey* k) {
  __builtin_memcpy(k->src, m.src.data(), 16);
  __builtin_memcpy(k->dst, m.dst.data(), 16);
  k->sport = m.sport;
  k->dport = m.dport;
  k->vlan = m.vlan;
  k->proto = m.proto;
  k->l3 = m.l3;
}

// Owned and used by one worker only: no locks, no atomics.
class FlowCache {
 public:
  // Control/start-up thread. Returns nullptr and sets *error on failure.
  static std::unique_ptr<FlowCache> create(const std::string& name, uint32_t capacity, int socket, std::string* error);
  ~FlowCache();
  FlowCache(const FlowCache&) = delete;
  FlowCache& operator=(const FlowCache&) = delete;

  // Starts loading the home slot of `hash` (where a cached flow almost always is); call it a while before
  // lookup_burst so the cache miss overlaps other work.
  void prefetch(uint32_t hash) const { rte_prefetch0(&slots_[hash & mask_]); }

  // The NAT session an IPv4 flow used last (NatSessionTable::hint_of; 0: none). It lives in the flow's own slot, in
  // bytes an IPv4 key leaves unused (kNatHintAt), so the lane's packet loads no other line for it (a side array
  // of hints cost about 7 cycles a packet at 10,000 flows: one more random line, bench/README). Only a hint: the
  // session table checks it names the flow's endpoint before trusting it, so a session released and reused costs
  // one hash lookup, never a wrong mapping. A new entry's is 0 (its key's bytes there are zero). IPv4 flows only.
  static uint32_t nat_hint(const FlowEntry* e) {
    uint32_t h;
    __builtin_memcpy(&h, slot_of(e)->key.src + kNatHintAt, 4);
    return h;
  }
  static void set_nat_hint(FlowEntry* e, uint32_t hint) {
    __builtin_memcpy(const_cast<Slot*>(slot_of(e))->key.src + kNatHintAt, &hint, 4);
  }

  // Looks up n keys (n <= kBurst) using their precomputed hashes; out[i] is the entry or nullptr.
  void lookup_burst(const FlowKey* keys, const uint32_t* hashes, uint16_t n, FlowEntry** out);

  // The same for the 5-tuple keys of parsed packets, compared with their metadata directly (no FlowKey copies);
  // the hash is meta->flow_hash.
  void lookup_burst(const PacketMeta* const* metas, uint16_t n, FlowEntry** out);

  // The entry of an IPv4 key of the LAN fast lane (which prefetched its home slot), or nullptr.
  // Three 8-byte words of a slot's key are compared: source and destination, each with the 4 bytes after it, and
  // the last word (ports, vlan, protocol, l3). The other two words are not key in an IPv4 key (its addresses are
  // zero-padded to 16 bytes; the source's padding holds the NAT hint), and a slot whose l3 is ipv4 holds an IPv4
  // key; empty and deleted slots, and host-pair keys, have other l3 values. The last word also says whether the
  // slot is empty.
  FlowEntry* find(const FlowKey4& k, uint32_t hash) {
    const uint64_t src = k.addrs & 0xffffffffu, dst = k.addrs >> 32;
    for (uint32_t d = 0; d < kWindow; d++) {
      Slot& s = slots_[(hash + d) & mask_];
      const auto* w = reinterpret_cast<const uint8_t*>(&s.key);
      const uint64_t last = word(w + 32);
      if (((word(w) ^ src) | (word(w + 16) ^ dst) | (last ^ k.tail)) == 0) return &s.entry;
      if ((last >> 56) == kEmpty) return nullptr;
    }
    return nullptr;
  }

  // Inserts a key; when the cache is full (or the key's probe window is), evicts one entry and retries.
  // Returns nullptr when it still cannot insert (the packet is then forwarded uncached).
  FlowEntry* insert(const FlowKey& key, uint32_t hash, WorkerCounters& c);

  // Visits `budget` slots from the sweep cursor and removes the flows there idle longer than idle_tsc.
  void expire_some(uint64_t now, uint64_t idle_tsc, uint32_t budget, WorkerCounters& c);

  uint32_t size() const { return count_; }
  // Control thread: a consistent copy of the last published top flows (false if the worker kept writing).
  bool read_top_flows(std::vector<TopFlow>* out) const;
  uint32_t capacity() const { return capacity_; }

 private:
  static constexpr uint32_t kWindow = 8;       // slots probed per key
  static constexpr uint8_t kEmpty = 0xff;      // in key.l3: never used since the last clean-up, ends a probe
  static constexpr uint8_t kTombstone = 0xfe;  // in key.l3: deleted, probes continue past it

  struct alignas(64) Slot {
    FlowKey key;
    FlowEntry entry;
  };
  static_assert(sizeof(Slot) == 64, "one flow per cache line");

  static bool used(const Slot& s) { return s.key.l3 != kEmpty && s.key.l3 != kTombstone; }
  // Where an IPv4 key's slot keeps the flow's NAT hint: source address bytes 12..15, zero in the IPv4 key itself
  // and never compared for one (same_key; find compares bytes 0..7 of each address).
  static constexpr uint32_t kNatHintAt = 12;
  static const Slot* slot_of(const FlowEntry* e) {
    return reinterpret_cast<const Slot*>(reinterpret_cast<const char*>(e) - offsetof(Slot, entry));
  }
  // A cached key `k` against a looked-up one: every byte but an IPv4 key's NAT hint (kNatHintAt).
  static bool same_key(const FlowKey& k, const FlowKey& b) {
    return __builtin_memcmp(&k, &b, kNatHintAt) == 0 && __builtin_memcmp(k.dst, b.dst, sizeof(FlowKey) - 16) == 0 &&
           ((b.l3 & ~FlowKey::kHostPair) == static_cast<uint8_t>(L3::ipv4) ||
            __builtin_memcmp(k.src + kNatHintAt, b.src + kNatHintAt, 4) == 0);
  }
  // Equal to same_key(k, flow_key_from_meta(m)): src, dst, sport, dport sit at the same offsets in both.
  static bool same_key(const FlowKey& k, const PacketMeta& m) {
    return __builtin_memcmp(&k, &m, kNatHintAt) == 0 && __builtin_memcmp(k.dst, m.dst.data(), 20) == 0 &&
           k.vlan == m.vlan && k.proto == m.proto && k.l3 == m.l3 &&
           (m.l3 == static_cast<uint8_t>(L3::ipv4) ||
            __builtin_memcmp(k.src + kNatHintAt, m.src.data() + kNatHintAt, 4) == 0);
  }
  template <typename Key>
  FlowEntry* find_key(const Key& key, uint32_t hash);
  static uint64_t word(const uint8_t* p) {
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
  }
  FlowEntry* find(const FlowKey& key, uint32_t hash);
  void remove(uint32_t idx);
  bool evict_one(WorkerCounters& c);
  void offer_top(const FlowKey& key, const FlowEntry& e);
  void publish_top();

  FlowCache() = default;
  Slot* slots_ = nullptr;
  uint32_t mask_ = 0;  // number of slots - 1 (a power of two, at least 2 x capacity)
  uint32_t capacity_ = 0;
  uint32_t count_ = 0;
  uint32_t cursor_ = 0;             // slot index where aging and whole-cache eviction continue
  TopFlow top_pending_[kTopFlows];  // the heaviest flows of the sweep in progress
  uint32_t n_top_pending_ = 0;
  TopFlowsBoard board_;
};

}  // namespace wansteer
