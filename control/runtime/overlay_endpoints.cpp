// Learning a site peer's endpoint from what authenticated last: handshakes on the control thread, transport
// messages from the workers' per-core records.
#include "control/runtime/overlay_endpoints.hpp"

#include "dataplane/overlay/peer_source.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

namespace {
constexpr uint64_t kLinkByte = 0xff;
}  // namespace

void PeerEndpoints::reset(uint64_t configured) {
  if (current_ != configured) generation_++;
  current_ = configured;
  other_ = 0;
  recent_[0] = recent_[1] = Heard{};
}

// Both of a peer's links may deliver (duplicates: whichever copy opens first is recorded): the endpoint moves to a
// new source only once the current one has been silent for kStickyNs, so a peer heard over two links does not make
// every sample a new snapshot; one that stopped (its link failed) is left as soon as another is heard.
PeerEndpoints::Heard* PeerEndpoints::remember(uint64_t addr, uint64_t now_ns) {
  Heard* slot = recent_[0].word == addr ? &recent_[0] : recent_[1].word == addr ? &recent_[1] : nullptr;
  if (slot == nullptr) {
    slot = recent_[0].at_ns <= recent_[1].at_ns ? &recent_[0] : &recent_[1];
    slot->word = addr;
  }
  slot->at_ns = now_ns;
  return slot;
}

void PeerEndpoints::note(uint64_t word, uint64_t now_ns) {
  const uint64_t addr = word & ~kLinkByte;
  remember(addr, now_ns);
  if (current_ == word) return;
  const uint64_t cur = current_ & ~kLinkByte;
  const Heard* now_at = recent_[0].word == cur ? &recent_[0] : recent_[1].word == cur ? &recent_[1] : nullptr;
  const bool stale = now_at == nullptr || now_ns - now_at->at_ns > kStickyNs;
  if (cur != addr && !stale) return;
  current_ = word;
  generation_++;
}

void PeerEndpoints::heard(uint64_t word, uint64_t now_ns) {
  if (peer_source_ip(word) != 0) note(word, now_ns);
}

void PeerEndpoints::heard_copy(uint64_t word, uint64_t now_ns) {
  // never evicts the current endpoint's slot: a copy only ever names the other one
  const uint64_t addr = word & ~kLinkByte;
  if (peer_source_ip(word) == 0 || addr == (current_ & ~kLinkByte)) return;
  Heard& other = recent_[0].word == (current_ & ~kLinkByte) ? recent_[1] : recent_[0];
  other = Heard{addr, now_ns};
}

void PeerEndpoints::read_cores(const std::vector<WorkerContext*>& workers, uint64_t now_ns) {
  const size_t n = workers.size() < kMaxCores ? workers.size() : kMaxCores;
  for (size_t i = 0; i < n; i++) {
    if (workers[i] == nullptr || !workers[i]->overlay) continue;
    const PeerSourceSeen& seen = workers[i]->overlay->seen;
    const uint64_t bursts = seen.bursts.load(std::memory_order_acquire);
    if (bursts != core_bursts_[i]) {
      core_bursts_[i] = bursts;
      heard(seen.source.load(std::memory_order_relaxed), now_ns);
    }
    const uint64_t copies = seen.copy_bursts.load(std::memory_order_acquire);
    if (copies != core_copies_[i]) {
      core_copies_[i] = copies;
      heard_copy(seen.copy_source.load(std::memory_order_relaxed), now_ns);
    }
  }
  const uint64_t other = other_recent(now_ns);
  if (other != other_) {
    other_ = other;
    generation_++;
  }
}

uint64_t PeerEndpoints::other_recent(uint64_t now_ns) const {
  const uint64_t cur = current_ & ~kLinkByte;
  for (const Heard& h : recent_)
    if (h.word != 0 && h.word != cur && now_ns - h.at_ns <= kRecentNs) return h.word;
  return 0;
}

}  // namespace wansteer
