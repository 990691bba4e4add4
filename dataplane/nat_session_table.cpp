// NatSessionTable (see nat_session_table.hpp): sessions in a fixed array with a free stack, the inside index in an
// rte_hash, the external index as a direct array per (link, protocol, port). Built on the control thread, then
// used only by its worker: nothing here allocates after create().
#include "dataplane/nat_session_table.hpp"

#include <fmt/format.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>

#include "dataplane/port_forwards.hpp"
#include "dataplane/probe_ids.hpp"

namespace wansteer {
namespace {

// rte_hash keeps one pointer-sized datum per key; ours are small integers (a slot, a count), never dereferenced.
inline void* hash_datum(uint32_t v) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(v));  // NOLINT(performance-no-int-to-ptr)
}

constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04;
static_assert((kTcpFin | kTcpSyn | kTcpRst) == kNatTcpMoveFlags);

struct InsideKey {
  uint32_t ip;
  uint16_t port;
  uint8_t proto;
  uint8_t link;
};
static_assert(sizeof(InsideKey) == 8);

// Ports control's probes use on every link's address (their replies go to control): never handed out.
bool reserved(NatProto p, uint16_t port) {
  if (p == NatProto::udp) return is_probe_port(port);
  if (p == NatProto::icmp) return port >= kProbeIcmpIdBase && port < kProbeIcmpIdBase + kProbeIdCount;
  return false;
}

rte_hash* make_hash(const std::string& name, uint32_t entries, uint32_t key_len, int socket) {
  rte_hash_parameters params{};
  params.name = name.c_str();
  params.entries = entries < 8 ? 8 : entries;
  params.key_len = key_len;
  params.hash_func = rte_jhash;
  params.socket_id = socket;
  // The extendable bucket table: every one of `entries` keys fits, however they hash.
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  return rte_hash_create(&params);
}

}  // namespace

void nat_tcp_move(NatSession& s, uint8_t flags, bool outbound) {
  auto st = static_cast<NatTcpState>(s.tcp);
  if (flags & kTcpRst) {
    st = NatTcpState::closing;
  } else if (outbound && (flags & kTcpSyn) && (st == NatTcpState::none || st == NatTcpState::closing)) {
    st = NatTcpState::syn_out;  // a new connection, or the port reused after the last one closed
  } else if (st == NatTcpState::none || st == NatTcpState::syn_out) {
    if (!outbound) st = NatTcpState::established;  // the far end answered
  } else if (flags & kTcpFin) {
    if (st == NatTcpState::established)
      st = outbound ? NatTcpState::fin_out : NatTcpState::fin_in;
    else if ((st == NatTcpState::fin_out && !outbound) || (st == NatTcpState::fin_in && outbound))
      st = NatTcpState::closing;
  }
  s.tcp = static_cast<uint8_t>(st);
}

std::unique_ptr<NatSessionTable> NatSessionTable::create(const std::string& name, uint32_t capacity, uint16_t worker_id,
                                                         uint16_t n_workers, int socket, std::string* error) {
  std::unique_ptr<NatSessionTable> t(new NatSessionTable());
  t->capacity_ = capacity;
  t->worker_id_ = worker_id;
  t->n_workers_ = n_workers == 0 ? 1 : n_workers;
  t->sessions_ = std::make_unique<NatSession[]>(capacity);
  t->free_ = std::make_unique<uint32_t[]>(capacity);
  for (uint32_t i = 0; i < capacity; i++) t->free_[i] = capacity - 1 - i;  // index 0 handed out first
  t->n_free_ = capacity;
  t->by_port_ = std::make_unique<uint32_t[]>(size_t{kMaxLinks} * kNatProtos * 65536u);
  for (auto& per_link : t->cursor_)
    for (auto& c : per_link) c = t->first_port();
  t->by_inside_ = make_hash(name + "_in", capacity, sizeof(InsideKey), socket);
  t->per_host_ = make_hash(name + "_host", capacity, sizeof(uint32_t), socket);
  if (t->by_inside_ == nullptr || t->per_host_ == nullptr) {
    *error = fmt::format("cannot create NAT session table {}: {}", name, rte_strerror(rte_errno));
    return nullptr;
  }
  return t;
}

NatSessionTable::~NatSessionTable() {
  rte_hash_free(by_inside_);
  rte_hash_free(per_host_);
}

NatSession* NatSessionTable::find_outbound(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint64_t now,
                                           const NatTimeouts& t) {
  const InsideKey key{in_ip, in_port, static_cast<uint8_t>(p), link};
  void* data = nullptr;
  if (rte_hash_lookup_data(by_inside_, &key, &data) < 0) return nullptr;
  NatSession* s = &sessions_[reinterpret_cast<uintptr_t>(data)];
  if (!expired(*s, now, t)) return s;
  release(s);
  return nullptr;
}

uint32_t NatSessionTable::sessions_of(uint32_t in_ip) const {
  void* data = nullptr;
  return rte_hash_lookup_data(per_host_, &in_ip, &data) < 0 ? 0
                                                            : static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
}

bool NatSessionTable::port_free(uint8_t link, NatProto p, uint16_t port, const LinkForwards* forwards) const {
  return port != 0 && owns(port) && !reserved(p, port) && (forwards == nullptr || !forwards->forwarded(p, port)) &&
         by_port_[port_slot(link, p, port)] == 0;
}

uint16_t NatSessionTable::pick_port(uint8_t link, NatProto p, uint16_t in_port, const LinkForwards* forwards) {
  if (port_free(link, p, in_port, forwards)) return in_port;  // RFC 4787 REQ-3 / RFC 5382 REQ-2 allow it; apps like it
  uint16_t& c = cursor_[link][static_cast<uint32_t>(p)];
  for (uint32_t i = 0; i < kNatPortTries; i++) {
    const uint16_t port = c;
    const uint32_t next = static_cast<uint32_t>(c) + n_workers_;
    c = next > 65535 ? first_port() : static_cast<uint16_t>(next);
    if (port_free(link, p, port, forwards)) return port;
  }
  return 0;
}

NatAlloc NatSessionTable::create(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint64_t now,
                                 uint32_t per_host, NatSession** out, const LinkForwards* forwards) {
  if (n_free_ == 0 || link >= kMaxLinks) return NatAlloc::table_full;
  const uint32_t held = sessions_of(in_ip);
  if (held >= per_host) return NatAlloc::host_limit;
  const uint16_t port = pick_port(link, p, in_port, forwards);
  if (port == 0) return NatAlloc::no_port;
  *out = insert(link, p, in_ip, in_port, port, held, now);
  return NatAlloc::ok;
}

NatAlloc NatSessionTable::create_forward(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint16_t ext_port,
                                         uint64_t now, uint32_t per_host, NatSession** out) {
  if (link >= kMaxLinks) return NatAlloc::table_full;
  // A mapping the endpoint got before the forward existed (a reload added it) gives way: one per endpoint.
  const InsideKey key{in_ip, in_port, static_cast<uint8_t>(p), link};
  void* data = nullptr;
  if (rte_hash_lookup_data(by_inside_, &key, &data) >= 0) release(&sessions_[reinterpret_cast<uintptr_t>(data)]);
  if (n_free_ == 0) return NatAlloc::table_full;
  const uint32_t held = sessions_of(in_ip);
  if (held >= per_host) return NatAlloc::host_limit;
  if (ext_port == 0 || by_port(link, p, ext_port) != 0) return NatAlloc::no_port;
  NatSession* s = insert(link, p, in_ip, in_port, ext_port, held, now);
  s->forward = 1;
  *out = s;
  return NatAlloc::ok;
}

NatAlloc NatSessionTable::create_pinhole(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint64_t now,
                                         uint32_t per_host, NatSession** out) {
  if (n_free_ == 0 || link >= kMaxLinks) return NatAlloc::table_full;
  const uint32_t held = sessions_of(in_ip);
  if (held >= per_host) return NatAlloc::host_limit;
  *out = insert(link, p, in_ip, in_port, in_port, held, now, true);
  return NatAlloc::ok;
}

NatSession* NatSessionTable::insert(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint16_t port,
                                    uint32_t held, uint64_t now, bool pinhole) {
  const uint32_t idx = free_[--n_free_];
  const InsideKey key{in_ip, in_port, static_cast<uint8_t>(p), link};
  // Cannot fail: both hashes hold `capacity` keys and no more than that many sessions exist.
  rte_hash_add_key_data(by_inside_, &key, hash_datum(idx));
  rte_hash_add_key_data(per_host_, &in_ip, hash_datum(held + 1));
  if (!pinhole) by_port(link, p, port) = idx + 1;  // a pinhole has no external port: many hosts share in_port
  NatSession& s = sessions_[idx];
  s = NatSession{now, in_ip, in_port, port, static_cast<uint8_t>(p), link, 0, 1, 0, static_cast<uint8_t>(pinhole)};
  size_.store(size_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return &s;
}

void NatSessionTable::release(NatSession* s) {
  if (!s->used) return;
  const auto p = static_cast<NatProto>(s->proto);
  const InsideKey key{s->in_ip, s->in_port, s->proto, s->link};
  rte_hash_del_key(by_inside_, &key);
  const uint32_t held = sessions_of(s->in_ip);
  if (held <= 1)
    rte_hash_del_key(per_host_, &s->in_ip);
  else
    rte_hash_add_key_data(per_host_, &s->in_ip, hash_datum(held - 1));
  if (!s->pinhole) by_port(s->link, p, s->ext_port) = 0;
  s->used = 0;
  free_[n_free_++] = static_cast<uint32_t>(s - sessions_.get());
  size_.store(size_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

uint32_t NatSessionTable::expire_some(uint64_t now, const NatTimeouts& t, uint32_t n) {
  // An empty table (a routed office without the firewall's sessions) has nothing to age: its sweep would still load
  // 32 idle lines every 50 us, about 1 % of a routed worker's cycles at full rate (perf, bench/throughput run C).
  if (size() == 0) return 0;
  uint32_t freed = 0;
  for (uint32_t i = 0; i < n && capacity_ != 0; i++) {
    NatSession& s = sessions_[sweep_];
    sweep_ = sweep_ + 1 == capacity_ ? 0 : sweep_ + 1;
    if (s.used && expired(s, now, t)) {
      release(&s);
      freed++;
    }
  }
  return freed;
}

}  // namespace wansteer
