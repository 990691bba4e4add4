// DhcpClient: one WAN link's DHCP client state machine (RFC 2131 4.4): INIT, SELECTING, REQUESTING, BOUND,
// RENEWING, REBINDING, with retransmission backoff, T1/T2 and expiry. Pure: times come in as clock ticks, messages
// go out through a callback, and what happened to the lease is returned for the control loop to apply.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "control/runtime/dhcp_message.hpp"

namespace wansteer::dhcp {

enum class State : uint8_t { init, selecting, requesting, bound, renewing, rebinding };
const char* state_name(State s);

constexpr uint64_t kNever = UINT64_MAX;

// A lease in use. Addresses host order; times in clock ticks (kNever for an infinite lease).
struct Lease {
  uint32_t address = 0;
  uint8_t prefix = 0;
  uint32_t gateway = 0;
  uint32_t server = 0;
  Mac server_mac{};  // where renewals go (the server, or the relay in front of it)
  uint32_t lease_s = 0;
  uint64_t acquired = 0, t1 = 0, t2 = 0, expires = 0;
  bool same_binding(const Lease& o) const { return address == o.address && prefix == o.prefix && gateway == o.gateway; }
};

// What a call did to the lease: `bound` (a first lease), `renewed` (same address, prefix and gateway),
// `changed` (a renewal or rebind brought others), `lost` (NAK or expiry; the link must go down).
enum class Event : uint8_t { none, bound, renewed, changed, lost };
const char* event_name(Event e);
struct Change {
  Event event = Event::none;
  Lease lease;     // the new lease, or the one lost
  Lease previous;  // with `changed`: the lease before
};

class Client {
 public:
  using SendFn = std::function<void(const Outgoing&)>;

  // `hz` ticks per second; `xid_seed` seeds the transaction ids (the MAC and the start time make a fine one).
  Client(const Mac& mac, uint64_t hz, uint32_t xid_seed, SendFn send);

  // Starts, retransmits, renews at T1, rebinds at T2 and drops the lease at expiry when due.
  Change tick(uint64_t now);
  // A decoded server reply; replies to other transactions or clients are ignored.
  Change on_reply(const Reply& r, uint64_t now);

  State state() const { return state_; }
  // The lease in use (bound, renewing, rebinding); nothing otherwise.
  const std::optional<Lease>& lease() const { return lease_; }
  uint64_t sent() const { return sent_; }
  uint64_t naks() const { return naks_; }
  uint64_t ignored() const { return ignored_; }  // replies to other transactions, or unusable offers and acks

  static constexpr uint64_t kFirstRetryS = 4;  // RFC 2131 4.1: 4 s, doubled up to 64 s
  static constexpr uint64_t kMaxRetryS = 64;
  static constexpr unsigned kRequestTries = 5;     // REQUESTs in REQUESTING before starting over
  static constexpr uint64_t kMinRenewRetryS = 60;  // RFC 2131 4.4.5: half the time left, at least 60 s

 private:
  void start_discover(uint64_t now);
  void send(MessageType type, uint64_t now, uint32_t ciaddr, uint32_t requested_ip, uint32_t server_id, bool unicast);
  void schedule_backoff(uint64_t now);
  void schedule_half_of(uint64_t now, uint64_t deadline);
  Change bind(const Reply& r);
  Change lose(uint64_t now);
  uint32_t next_xid();

  Mac mac_;
  uint64_t hz_;
  uint32_t xid_state_;
  SendFn send_;
  State state_ = State::init;
  uint32_t xid_ = 0;
  uint64_t exchange_start_ = 0;  // for the secs field
  uint64_t last_sent_ = 0;       // the lease's times count from here
  uint64_t retry_at_ = 0;        // next retransmission (ticks); 0 = now
  uint64_t retry_s_ = kFirstRetryS;
  unsigned tries_ = 0;
  Reply offer_;  // the offer being requested
  std::optional<Lease> lease_;
  uint64_t sent_ = 0, naks_ = 0, ignored_ = 0;
};

}  // namespace wansteer::dhcp
