// FlowCache implementation: rte_hash positions index a flat entry array; aging sweeps a few slots per loop.
#include "dataplane/flow_cache.hpp"

#include <cerrno>
#include <algorithm>
#include <cstring>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

namespace wansteer {

std::unique_ptr<FlowCache> FlowCache::create(const std::string& name, uint32_t capacity, int socket,
                                             std::string* error) {
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = capacity;
  p.key_len = sizeof(FlowKey);
  p.hash_func = rte_hash_crc;
  p.hash_func_init_val = 0;
  p.socket_id = socket;
  p.extra_flag = 0;  // one thread owns it: no locks, no RCU needed inside the table
  std::unique_ptr<FlowCache> fc(new FlowCache());
  fc->hash_ = rte_hash_create(&p);
  if (fc->hash_ == nullptr) {
    *error = std::string("cannot create flow table ") + name + ": " + rte_strerror(rte_errno);
    return nullptr;
  }
  // rte_hash hands out key positions in [0, entries]; keep one spare slot for safety.
  fc->slots_ = capacity + 1;
  fc->entries_ = static_cast<FlowEntry*>(
      rte_zmalloc_socket(nullptr, sizeof(FlowEntry) * fc->slots_, RTE_CACHE_LINE_SIZE, socket));
  if (fc->entries_ == nullptr) {
    *error = "cannot allocate flow entries for " + name;
    return nullptr;
  }
  fc->capacity_ = capacity;
  return fc;
}

FlowCache::~FlowCache() {
  rte_hash_free(hash_);
  rte_free(entries_);
}

void FlowCache::lookup_burst(const FlowKey* keys, const uint32_t* hashes, uint16_t n, FlowEntry** out) {
  const void* key_ptrs[RTE_HASH_LOOKUP_BULK_MAX];
  int32_t positions[RTE_HASH_LOOKUP_BULK_MAX];
  for (uint16_t i = 0; i < n; i++) key_ptrs[i] = &keys[i];
  rte_hash_lookup_with_hash_bulk(hash_, key_ptrs, const_cast<hash_sig_t*>(hashes), n, positions);
  for (uint16_t i = 0; i < n; i++) {
    int32_t pos = positions[i];
    out[i] = (pos >= 0 && static_cast<uint32_t>(pos) < slots_) ? &entries_[pos] : nullptr;
  }
}

bool FlowCache::evict_one(WorkerCounters& c) {
  const void* key;
  void* data;
  int32_t pos = rte_hash_iterate(hash_, &key, &data, &cursor_);
  if (pos < 0) {  // reached the end: wrap around once
    cursor_ = 0;
    pos = rte_hash_iterate(hash_, &key, &data, &cursor_);
    if (pos < 0) return false;
  }
  if (rte_hash_del_key_with_hash(hash_, key, entries_[pos].hash) < 0) return false;
  count_--;
  c.flow_evictions.inc();
  return true;
}

FlowEntry* FlowCache::insert(const FlowKey& key, uint32_t hash, WorkerCounters& c) {
  // Two packets of a new flow in one burst both miss; the second finds the entry the first just added.
  int32_t pos = rte_hash_lookup_with_hash(hash_, &key, hash);
  if (pos >= 0 && static_cast<uint32_t>(pos) < slots_) return &entries_[pos];
  pos = rte_hash_add_key_with_hash(hash_, &key, hash);
  if (pos == -ENOSPC && evict_one(c)) pos = rte_hash_add_key_with_hash(hash_, &key, hash);
  if (pos < 0 || static_cast<uint32_t>(pos) >= slots_) {
    c.flow_uncached.inc();
    return nullptr;
  }
  count_++;
  c.flow_inserts.inc();
  entries_[pos].hash = hash;
  entries_[pos].packets = 0;
  entries_[pos].bytes = 0;
  return &entries_[pos];
}

void FlowCache::expire_some(uint64_t now, uint64_t idle_tsc, uint32_t budget, WorkerCounters& c) {
  if (count_ == 0) return;
  const void* key;
  void* data;
  for (uint32_t i = 0; i < budget; i++) {
    int32_t pos = rte_hash_iterate(hash_, &key, &data, &cursor_);
    if (pos < 0) {
      cursor_ = 0;
      publish_top();  // a full sweep is done: what it saw becomes the board control reads
      return;
    }
    const FlowEntry& e = entries_[pos];
    if (now - e.last_seen_tsc > idle_tsc) {
      if (rte_hash_del_key_with_hash(hash_, key, e.hash) >= 0) {
        count_--;
        c.flow_expired.inc();
      }
    } else {
      offer_top(*static_cast<const FlowKey*>(key), e);
    }
  }
}

void FlowCache::offer_top(const FlowKey& key, const FlowEntry& e) {
  if (key.zero_pad != 0 || e.packets == 0) return;  // host-pair entries are not flows of their own
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
