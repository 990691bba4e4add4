// FlowCache implementation: one cache line per flow, linear probing within a small window, tombstones.
#include "dataplane/flow_cache.hpp"

#include <algorithm>
#include <cstring>

#include <rte_malloc.h>

namespace wansteer {

std::unique_ptr<FlowCache> FlowCache::create(const std::string& name, uint32_t capacity, int socket,
                                             std::string* error) {
  if (capacity == 0 || capacity > (1u << 30)) {
    *error = "flow table " + name + ": capacity must be 1..2^30";
    return nullptr;
  }
  // At least 2 x capacity slots: the load factor stays <= 0.5, so probes are short and windows rarely full.
  uint32_t n = kWindow;
  while (n < 2 * capacity) n <<= 1;
  std::unique_ptr<FlowCache> fc(new FlowCache());
  fc->slots_ = static_cast<Slot*>(rte_malloc_socket(name.c_str(), sizeof(Slot) * n, RTE_CACHE_LINE_SIZE, socket));
  if (fc->slots_ == nullptr) {
    *error = "cannot allocate flow table " + name;
    return nullptr;
  }
  for (uint32_t i = 0; i < n; i++) fc->slots_[i].key.l3 = kEmpty;
  fc->mask_ = n - 1;
  fc->capacity_ = capacity;
  return fc;
}

FlowCache::~FlowCache() { rte_free(slots_); }

template <typename Key>
inline FlowEntry* FlowCache::find_key(const Key& key, uint32_t hash) {
  for (uint32_t d = 0; d < kWindow; d++) {
    Slot& s = slots_[(hash + d) & mask_];
    if (s.key.l3 == kEmpty) return nullptr;
    if (same_key(s.key, key)) return &s.entry;  // a tombstone's l3 never matches a key's
  }
  return nullptr;
}

FlowEntry* FlowCache::find(const FlowKey& key, uint32_t hash) { return find_key(key, hash); }

void FlowCache::lookup_burst(const FlowKey* keys, const uint32_t* hashes, uint16_t n, FlowEntry** out) {
  for (uint16_t i = 0; i < n; i++) rte_prefetch0(&slots_[hashes[i] & mask_]);  // no-op if prefetch() ran
  for (uint16_t i = 0; i < n; i++) out[i] = find_key(keys[i], hashes[i]);
}

void FlowCache::lookup_burst(const PacketMeta* const* metas, uint16_t n, FlowEntry** out) {
  // No prefetch pass: the caller (lan_admit_burst) prefetched each home slot with prefetch() already.
  for (uint16_t i = 0; i < n; i++) out[i] = find_key(*metas[i], metas[i]->flow_hash);
}

// Deletes slot idx. A tombstone followed by an empty slot can itself become empty (no probe needs to pass it),
// and so can the tombstones before it: this keeps misses from scanning whole windows of dead slots.
void FlowCache::remove(uint32_t idx) {
  slots_[idx].key.l3 = kTombstone;
  count_--;
  while (slots_[idx].key.l3 == kTombstone && slots_[(idx + 1) & mask_].key.l3 == kEmpty) {
    slots_[idx].key.l3 = kEmpty;
    idx = (idx - 1) & mask_;
  }
}

// Removes the next cached flow at or after the sweep cursor (the cache holds `capacity` of them, so one is near).
bool FlowCache::evict_one(WorkerCounters& c) {
  if (count_ == 0) return false;
  for (uint32_t i = 0; i <= mask_; i++) {
    uint32_t idx = cursor_;
    cursor_ = (cursor_ + 1) & mask_;
    if (used(slots_[idx])) {
      remove(idx);
      c.flow_evictions.inc();
      return true;
    }
  }
  return false;
}

FlowEntry* FlowCache::insert(const FlowKey& key, uint32_t hash, WorkerCounters& c) {
  // Two packets of a new flow in one burst both miss; the second finds the entry the first just added.
  if (FlowEntry* e = find(key, hash)) return e;
  if (count_ >= capacity_ && !evict_one(c)) {
    c.flow_uncached.inc();
    return nullptr;
  }
  uint32_t idx = kWindow;  // first free slot in the window, if any
  uint32_t oldest = 0;
  for (uint32_t d = 0; d < kWindow; d++) {
    uint32_t i = (hash + d) & mask_;
    if (!used(slots_[i])) {
      idx = i;
      break;
    }
    if (d == 0 || slots_[i].entry.last_seen_tsc < slots_[oldest].entry.last_seen_tsc) oldest = i;
  }
  if (idx == kWindow) {  // window full (rare at load <= 0.5): the least recently seen flow in it makes room
    remove(oldest);
    c.flow_evictions.inc();
    idx = oldest;
  }
  Slot& s = slots_[idx];
  s.key = key;
  s.entry = FlowEntry{};
  count_++;
  c.flow_inserts.inc();
  return &s.entry;
}

void FlowCache::expire_some(uint64_t now, uint64_t idle_tsc, uint32_t budget, WorkerCounters& c) {
  if (count_ == 0) return;
  // The budget is in slots, empty ones included: each is a cache line to read whether a flow is there or not.
  for (uint32_t i = 0; i < budget; i++) {
    uint32_t idx = cursor_;
    cursor_ = (cursor_ + 1) & mask_;
    if (cursor_ == 0) publish_top();  // a full sweep is done: what it saw becomes the board control reads
    const Slot& s = slots_[idx];
    if (!used(s)) continue;
    if (now - s.entry.last_seen_tsc > idle_tsc) {
      remove(idx);
      c.flow_expired.inc();
    } else {
      offer_top(s.key, s.entry);
    }
  }
}

void FlowCache::offer_top(const FlowKey& key, const FlowEntry& e) {
  if ((key.l3 & FlowKey::kHostPair) || e.packets == 0) return;  // host-pair entries are not flows of their own
  uint32_t slot = n_top_pending_;
  if (n_top_pending_ == kTopFlows) {  // full: replace the lightest if this one is heavier
    slot = 0;
    for (uint32_t i = 1; i < kTopFlows; i++)
      if (top_pending_[i].bytes < top_pending_[slot].bytes) slot = i;
    if (top_pending_[slot].bytes >= e.bytes) return;
  } else {
    n_top_pending_++;
  }
  top_pending_[slot] = TopFlow{key, e.bytes, e.last_seen_tsc, e.packets, e.class_id, e.link};
}

void FlowCache::publish_top() {
  const uint32_t s = board_.seq.load(std::memory_order_relaxed);
  board_.seq.store(s + 1, std::memory_order_relaxed);  // odd: being written
  std::atomic_thread_fence(std::memory_order_release);
  board_.n = n_top_pending_;
  std::memcpy(board_.flows, top_pending_, sizeof(TopFlow) * n_top_pending_);
  board_.seq.store(s + 2, std::memory_order_release);
  n_top_pending_ = 0;
}

bool FlowCache::read_top_flows(std::vector<TopFlow>* out) const {
  for (int attempt = 0; attempt < 100; attempt++) {
    const uint32_t s0 = board_.seq.load(std::memory_order_acquire);
    if (s0 & 1u) continue;
    TopFlow copy[kTopFlows];
    const uint32_t n = std::min(board_.n, kTopFlows);
    std::memcpy(copy, board_.flows, sizeof(TopFlow) * n);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (board_.seq.load(std::memory_order_relaxed) != s0) continue;
    out->assign(copy, copy + n);
    return true;
  }
  return false;
}

}  // namespace wansteer
