// NatSessionTable: one worker's NAPT44 sessions (RFC 4787/5382/5508): endpoint-independent mappings from (link,
// protocol, inside address, inside port) to an external port of the link's address, bounded, per-host capped.
#pragma once
#include <netinet/in.h>
#include <atomic>

#include <cstdint>
#include <memory>
#include <string>

#include <rte_prefetch.h>

#include "dataplane/limits.hpp"

struct rte_hash;

namespace wansteer {

struct LinkForwards;

enum class NatProto : uint8_t { tcp = 0, udp = 1, icmp = 2 };
// The table's protocol for an IP protocol the NAT handles: TCP, UDP, else ICMP (the caller ruled out the rest).
inline NatProto nat_proto_of(uint8_t ip_proto) {
  return ip_proto == IPPROTO_TCP ? NatProto::tcp : ip_proto == IPPROTO_UDP ? NatProto::udp : NatProto::icmp;
}
inline constexpr uint32_t kNatProtos = 3;

// TCP state per mapping (RFC 5382 5): transitory until both sides spoke, established until a FIN each way or a RST.
enum class NatTcpState : uint8_t { none, syn_out, established, fin_out, fin_in, closing };

// Idle timeouts in TSC ticks (control converts the policy's seconds; RFC 4787 REQ-5, RFC 5382 REQ-5).
struct NatTimeouts {
  uint64_t udp = 0, tcp_established = 0, tcp_transitory = 0, icmp = 0;
};

// What a reload may change: timeouts and the per-host cap (the table's size is fixed at start).
struct NatSettings {
  NatTimeouts timeouts;
  uint32_t per_host = 0;
};

struct NatSession {
  uint64_t last_seen_tsc = 0;
  uint32_t in_ip = 0;     // host order
  uint16_t in_port = 0;   // host order; the echo identifier for ICMP
  uint16_t ext_port = 0;  // host order, on the link's address
  uint8_t proto = 0;      // NatProto
  uint8_t link = 0;
  uint8_t tcp = 0;      // NatTcpState
  uint8_t used = 0;     // 1 while the slot holds a session
  uint8_t forward = 0;  // 1: made for a port forward (ext_port is the forwarded port, fixed)
  uint8_t pinhole = 0;  // 1: a routed link's firewall session (nothing translated; ext_port is in_port)
  // The WAN fast lane's copy of the LAN host's route (wan_fast_lane.hpp): its neighbour MAC, valid while lan_tag is
  // lan_route_tag(the snapshot's generation, the host's subnet index); 0 = none yet. A new session starts without.
  uint8_t lan_mac[6] = {};
  uint32_t lan_tag = 0;
};
static_assert(sizeof(NatSession) == 32, "two sessions per cache line");

enum class NatAlloc : uint8_t { ok, table_full, host_limit, no_port };

// The lowest external port handed out; inside ports below it are kept when free (port preservation).
inline constexpr uint16_t kNatPortMin = 1024;
// Candidates tried per new session before it fails as no_port: bounded work per packet even when nearly full.
inline constexpr uint32_t kNatPortTries = 1024;

// Moves a TCP mapping's state for a packet with `flags` (TCP header byte 13) going out (true) or coming in.
void nat_tcp_move(NatSession& s, uint8_t flags, bool outbound);
// nat_tcp_move, called only where it can change something: a segment with FIN, SYN or RST, or one coming in while
// the far end has not answered yet (none, syn_out). The rest (an established connection's data and ACKs, almost
// every TCP packet) returns here, inline, without a call in the middle of the fast lanes' loops.
inline constexpr uint8_t kNatTcpMoveFlags = 0x07;  // FIN 0x01, SYN 0x02, RST 0x04
inline void nat_tcp_track(NatSession& s, uint8_t flags, bool outbound) {
  const bool answered =
      s.tcp != static_cast<uint8_t>(NatTcpState::none) && s.tcp != static_cast<uint8_t>(NatTcpState::syn_out);
  if ((flags & kNatTcpMoveFlags) == 0 && (outbound || answered)) return;
  nat_tcp_move(s, flags, outbound);
}
// The idle timeout that applies to `s`, a session of protocol `p`, now (inline: every packet's session lookup asks
// it). A caller that knows the protocol at compile time (the WAN fast lane's passes) passes it as a constant, and
// the switch goes away.
inline uint64_t nat_timeout_as(const NatSession& s, const NatTimeouts& t, NatProto p) {
  switch (p) {
    case NatProto::udp:
      return t.udp;
    case NatProto::icmp:
      return t.icmp;
    case NatProto::tcp:
      break;
  }
  const auto st = static_cast<NatTcpState>(s.tcp);
  const bool open = st == NatTcpState::established || st == NatTcpState::fin_out || st == NatTcpState::fin_in;
  return open ? t.tcp_established : t.tcp_transitory;
}
inline uint64_t nat_timeout_of(const NatSession& s, const NatTimeouts& t) {
  return nat_timeout_as(s, t, static_cast<NatProto>(s.proto));
}

// Owned and used by one worker only (no lock). Workers share out each link's ports: this worker hands out, and
// so receives the return traffic of, the ports p with p % n_workers == worker_id, and makes the mappings of the
// inside endpoints whose port follows the same rule (nat_outbound.hpp), so an inside port is kept where it is free.
// A routed link's firewall sessions follow the inside-port rule too (routed_firewall.hpp).
class NatSessionTable {
 public:
  static std::unique_ptr<NatSessionTable> create(const std::string& name, uint32_t capacity, uint16_t worker_id,
                                                 uint16_t n_workers, int socket, std::string* error);
  ~NatSessionTable();
  NatSessionTable(const NatSessionTable&) = delete;
  NatSessionTable& operator=(const NatSessionTable&) = delete;

  // The live mapping of an inside endpoint on `link`, or nullptr; one found expired is released first.
  NatSession* find_outbound(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint64_t now,
                            const NatTimeouts& t);
  // find_outbound, answered without the hash when `hint` (index_of a session + 1, 0 = none: the flow cache keeps
  // it per flow) still names this endpoint's live mapping. A slot released and reused for another endpoint no
  // longer matches, and a used slot matching the endpoint is the one the hash holds (one mapping per endpoint).
  NatSession* find_outbound_hinted(uint32_t hint, uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port,
                                   uint64_t now, const NatTimeouts& t) {
    if (hint - 1 < capacity_) {
      NatSession& s = sessions_[hint - 1];
      if (hint_names(s, link, p, in_ip, in_port)) {
        if (!expired(s, now, t)) return &s;
        release(&s);
        return nullptr;
      }
    }
    return find_outbound(link, p, in_ip, in_port, now, t);
  }
  // The live session `hint` names when it is this endpoint's, else nullptr with nothing released: the LAN fast
  // lane's first try, inline; on nullptr it calls nat_outbound_session, which finds, releases or hashes as above.
  NatSession* hinted_live(uint32_t hint, uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint64_t now,
                          const NatTimeouts& t) {
    if (hint - 1 >= capacity_) return nullptr;
    NatSession& s = sessions_[hint - 1];
    return hint_names(s, link, p, in_ip, in_port) && !expired(s, now, t) ? &s : nullptr;
  }
  // The hint of a session of this table (see find_outbound_hinted).
  uint32_t hint_of(const NatSession* s) const { return static_cast<uint32_t>(s - sessions_.get()) + 1; }
  // Starts loading the session a hint names (any value is safe to pass). Prefetches here are rte_prefetch0 (an asm
  // statement): GCC 12 at -O3 deleted these three as __builtin_prefetch (tree DCE), so the WAN fast lane had none.
  void prefetch_hinted(uint32_t hint) const {
    if (hint - 1 < capacity_) rte_prefetch0(&sessions_[hint - 1]);
  }
  // The WAN fast lane's lookups on one link (< kMaxLinks) during one burst (see InboundView).
  class InboundView;
  InboundView inbound_view(uint8_t link);
  // The live mapping that owns external port `ext_port` of `link`, or nullptr (expired ones are released).
  NatSession* find_inbound(uint8_t link, NatProto p, uint16_t ext_port, uint64_t now, const NatTimeouts& t) {
    if (link >= kMaxLinks) return nullptr;
    const uint32_t idx = by_port(link, p, ext_port);
    if (idx == 0) return nullptr;
    NatSession* s = &sessions_[idx - 1];
    if (!expired(*s, now, t)) return s;
    release(s);
    return nullptr;
  }
  // A new mapping: the inside port itself when free and ours (port preservation), else the next free one of ours;
  // never a port `forwards` (the link's port forwards, may be null) holds.
  NatAlloc create(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint64_t now, uint32_t per_host,
                  NatSession** out, const LinkForwards* forwards = nullptr);
  // A port forward's mapping: the inside endpoint on external port `ext_port` exactly (no_port when it is taken).
  NatAlloc create_forward(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint16_t ext_port, uint64_t now,
                          uint32_t per_host, NatSession** out);
  // A routed link's (nat: false) firewall session: the inside endpoint is tracked as a mapping would be, counted
  // against the same capacity and per-host cap, but holds no external port (it is found by its inside endpoint).
  NatAlloc create_pinhole(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint64_t now, uint32_t per_host,
                          NatSession** out);
  void release(NatSession* s);
  // Looks at up to `n` slots from the sweep cursor and releases the expired ones; returns how many.
  uint32_t expire_some(uint64_t now, const NatTimeouts& t, uint32_t n);

  // One worker (the usual office) is tested first: a division per packet otherwise, in both fast lanes.
  // `port`: an external port, or an inside port (or echo id) whose mappings or firewall sessions are made here.
  bool owns(uint16_t port) const { return n_workers_ == 1 || port % n_workers_ == worker_id_; }
  uint16_t owner_of(uint16_t port) const { return static_cast<uint16_t>(port % n_workers_); }
  uint32_t size() const { return size_.load(std::memory_order_relaxed); }  // also read by control (metrics)
  uint32_t capacity() const { return capacity_; }
  uint32_t sessions_of(uint32_t in_ip) const;

 private:
  NatSessionTable() = default;
  // This worker's lowest port at or above kNatPortMin (ports p with p % n_workers == worker_id).
  uint16_t first_port() const {
    return static_cast<uint16_t>(kNatPortMin + (n_workers_ + worker_id_ - kNatPortMin % n_workers_) % n_workers_);
  }
  bool port_free(uint8_t link, NatProto p, uint16_t port, const LinkForwards* forwards) const;
  uint16_t pick_port(uint8_t link, NatProto p, uint16_t in_port, const LinkForwards* forwards);
  // Takes a free slot for the mapping; the caller checked capacity and the host's cap (`held` sessions).
  NatSession* insert(uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port, uint16_t ext_port, uint32_t held,
                     uint64_t now, bool pinhole = false);
  static uint32_t port_slot(uint8_t link, NatProto p, uint16_t port) {
    return (static_cast<uint32_t>(link) * kNatProtos + static_cast<uint32_t>(p)) * 65536u + port;
  }
  uint32_t& by_port(uint8_t link, NatProto p, uint16_t port) { return by_port_[port_slot(link, p, port)]; }
  static bool hint_names(const NatSession& s, uint8_t link, NatProto p, uint32_t in_ip, uint16_t in_port) {
    return s.used && s.in_ip == in_ip && s.in_port == in_port && s.proto == static_cast<uint8_t>(p) && s.link == link;
  }
  bool expired(const NatSession& s, uint64_t now, const NatTimeouts& t) const {
    return now - s.last_seen_tsc > nat_timeout_of(s, t);
  }

  uint32_t capacity_ = 0;
  std::atomic<uint32_t> size_{0};  // dp: rw (this worker), cp: ro
  uint16_t worker_id_ = 0, n_workers_ = 1;
  uint32_t sweep_ = 0;
  std::unique_ptr<NatSession[]> sessions_;
  std::unique_ptr<uint32_t[]> free_;  // stack of free session indexes
  uint32_t n_free_ = 0;
  std::unique_ptr<uint32_t[]> by_port_;  // (link, proto, external port) -> session index + 1; 0 = free
  uint16_t cursor_[kMaxLinks][kNatProtos] = {};
  rte_hash* by_inside_ = nullptr;  // (link, proto, inside address, port) -> session index
  rte_hash* per_host_ = nullptr;   // inside address -> sessions it holds
};

// The WAN fast lane's lookup of a reply's session on one link, in three steps a pass apart so each finds its line
// in cache: the index slot of the reply's destination port (found and prefetched once), then the session it names
// (no session, no load), then find, which reads the slot again (a session released by an earlier packet of the
// burst is gone). A view for one burst, holding the table's arrays and worker share as values: the lane writes
// packets through byte pointers between lookups, which may alias anything, so the table's own members would be read
// again from memory for every packet (about 8 instructions a packet); a local view's copies are not.
class NatSessionTable::InboundView {
 public:
  // The slot of external port `ext_port` of protocol `p` on the view's link; starts loading it.
  const uint32_t* slot(NatProto p, uint16_t ext_port) const {
    const uint32_t* s = &link_slots_[static_cast<uint32_t>(p) * 65536u + ext_port];
    rte_prefetch0(s);
    return s;
  }
  void prefetch_session(const uint32_t* slot) const {
    if (*slot != 0) rte_prefetch0(&sessions_[*slot - 1]);
  }
  // The live mapping the slot of protocol `P` names, or nullptr (an expired one is released). The protocol is the
  // slot's: the index holds each protocol's sessions apart.
  template <NatProto P>
  NatSession* find(const uint32_t* slot, uint64_t now, const NatTimeouts& t) const {
    const uint32_t idx = *slot;
    if (idx == 0) return nullptr;
    NatSession* s = &sessions_[idx - 1];
    if (now - s->last_seen_tsc <= nat_timeout_as(*s, t, P)) return s;
    table_->release(s);
    return nullptr;
  }
  // NatSessionTable::owns, with one worker decided once for the burst.
  bool owns(uint16_t port) const { return one_worker_ || port % n_workers_ == worker_id_; }

 private:
  friend class NatSessionTable;
  NatSessionTable* table_ = nullptr;
  const uint32_t* link_slots_ = nullptr;  // the link's part of by_port_
  NatSession* sessions_ = nullptr;
  uint16_t worker_id_ = 0, n_workers_ = 1;
  bool one_worker_ = true;
};

inline NatSessionTable::InboundView NatSessionTable::inbound_view(uint8_t link) {
  InboundView v;
  v.table_ = this;
  v.link_slots_ = &by_port_[port_slot(link, NatProto::tcp, 0)];
  v.sessions_ = sessions_.get();
  v.worker_id_ = worker_id_;
  v.n_workers_ = n_workers_;
  v.one_worker_ = n_workers_ == 1;
  return v;
}

}  // namespace wansteer
