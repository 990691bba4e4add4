// FlowCache: per-worker 5-tuple -> (class, link) memory on rte_hash, with idle aging and bounded size.
#pragma once
#include <cstdint>
#include <memory>
#include <atomic>
#include <string>
#include <vector>

#include "dataplane/counters.hpp"
#include "dataplane/packet_meta.hpp"

struct rte_hash;

namespace wansteer {

struct FlowKey {
  uint8_t src[16];
  uint8_t dst[16];
  uint16_t sport;
  uint16_t dport;
  uint16_t vlan;
  uint8_t proto;
  uint8_t l3;
  uint64_t zero_pad;  // 48 bytes: rte_hash has a vector compare for 48-byte keys, 40 falls back to memcmp
};
static_assert(sizeof(FlowKey) == 48);

struct FlowEntry {
  uint64_t last_seen_tsc;
  uint64_t bytes;              // forwarded since the flow was (re)classified: for `show flows`
  uint32_t packets;
  uint32_t policy_generation;  // entries from an older policy are reclassified
  uint32_t hash;               // the hash the key was added with (deletes must use the same one)
  uint8_t class_id;
  uint8_t link;
};

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

inline void flow_key_from_meta(const PacketMeta& m, FlowKey* k) {
  __builtin_memcpy(k->src, m.src.data(), 16);
  __builtin_memcpy(k->dst, m.dst.data(), 16);
  k->sport = m.sport;
  k->dport = m.dport;
  k->vlan = m.vlan;
  k->proto = m.proto;
  k->l3 = m.l3;
  k->zero_pad = 0;
}

// Owned and used by one worker only (rte_hash created without multi-writer or RW-concurrency flags).
class FlowCache {
 public:
  // Control/start-up thread. Returns nullptr and sets *error on failure.
  static std::unique_ptr<FlowCache> create(const std::string& name, uint32_t capacity, int socket,
                                           std::string* error);
  ~FlowCache();
  FlowCache(const FlowCache&) = delete;
  FlowCache& operator=(const FlowCache&) = delete;

  // Looks up n keys (n <= kBurst) using their precomputed hashes; out[i] is the entry or nullptr.
  void lookup_burst(const FlowKey* keys, const uint32_t* hashes, uint16_t n, FlowEntry** out);

  // Inserts a key; when the table is full, evicts one entry at the sweep cursor and retries.
  // Returns nullptr when it still cannot insert (the packet is then forwarded uncached).
  FlowEntry* insert(const FlowKey& key, uint32_t hash, WorkerCounters& c);

  // Visits up to `budget` slots from the sweep cursor and removes flows idle longer than idle_tsc.
  void expire_some(uint64_t now, uint64_t idle_tsc, uint32_t budget, WorkerCounters& c);

  uint32_t size() const { return count_; }
  // Control thread: a consistent copy of the last published top flows (false if the worker kept writing).
  bool read_top_flows(std::vector<TopFlow>* out) const;
  uint32_t capacity() const { return capacity_; }

 private:
  FlowCache() = default;
  bool evict_one(WorkerCounters& c);
  void offer_top(const FlowKey& key, const FlowEntry& e);
  void publish_top();
  TopFlow top_pending_[kTopFlows];  // the sweep in progress
  uint32_t n_top_pending_ = 0;
  TopFlowsBoard board_;
  rte_hash* hash_ = nullptr;
  FlowEntry* entries_ = nullptr;  // indexed by rte_hash key position
  uint32_t capacity_ = 0;
  uint32_t slots_ = 0;            // size of entries_
  uint32_t count_ = 0;
  uint32_t cursor_ = 0;           // rte_hash_iterate cursor for aging and eviction
};

}  // namespace wansteer
