// DhcpClient: the RFC 2131 client state machine of one WAN link.
#include "control/runtime/dhcp_client.hpp"

#include <algorithm>

namespace wansteer::dhcp {

const char* state_name(State s) {
  switch (s) {
    case State::init:
      return "init";
    case State::selecting:
      return "selecting";
    case State::requesting:
      return "requesting";
    case State::bound:
      return "bound";
    case State::renewing:
      return "renewing";
    case State::rebinding:
      return "rebinding";
  }
  return "?";
}

const char* event_name(Event e) {
  switch (e) {
    case Event::none:
      return "none";
    case Event::bound:
      return "dhcp_bound";
    case Event::renewed:
      return "dhcp_renewed";
    case Event::changed:
      return "dhcp_changed";
    case Event::lost:
      return "dhcp_lost";
  }
  return "?";
}

Client::Client(const Mac& mac, uint64_t hz, uint32_t xid_seed, SendFn send)
    : mac_(mac), hz_(hz), xid_state_(xid_seed ? xid_seed : 0x2545f491u), send_(std::move(send)) {}

uint32_t Client::next_xid() {
  // xorshift32: transaction ids only need to differ between exchanges and be hard to guess off-path.
  xid_state_ ^= xid_state_ << 13;
  xid_state_ ^= xid_state_ >> 17;
  xid_state_ ^= xid_state_ << 5;
  return xid_state_;
}

void Client::send(MessageType type, uint64_t now, uint32_t ciaddr, uint32_t requested_ip, uint32_t server_id,
                  bool unicast) {
  Outgoing o;
  o.type = type;
  o.xid = xid_;
  o.secs = static_cast<uint16_t>(std::min<uint64_t>((now - exchange_start_) / hz_, 0xffff));
  o.client_mac = mac_;
  o.ciaddr = ciaddr;
  o.requested_ip = requested_ip;
  o.server_id = server_id;
  if (unicast && lease_) {  // RENEWING: straight to the server that granted the lease (RFC 2131 4.4.5)
    o.dst_ip = lease_->server;
    o.dst_mac = lease_->server_mac;
  }
  last_sent_ = now;
  ++sent_;
  send_(o);
}

void Client::schedule_backoff(uint64_t now) {
  retry_at_ = now + retry_s_ * hz_;
  retry_s_ = std::min(retry_s_ * 2, kMaxRetryS);
}

void Client::schedule_half_of(uint64_t now, uint64_t deadline) {
  uint64_t wait = std::max((deadline - now) / 2, kMinRenewRetryS * hz_);
  retry_at_ = std::min(now + wait, deadline);
}

void Client::start_discover(uint64_t now) {
  state_ = State::selecting;
  xid_ = next_xid();
  exchange_start_ = now;
  retry_s_ = kFirstRetryS;
  send(MessageType::discover, now, 0, 0, 0, false);
  schedule_backoff(now);
}

Change Client::lose(uint64_t now) {
  Change c{Event::lost, *lease_, {}};
  lease_.reset();
  state_ = State::init;
  retry_at_ = now;  // discover again at the next tick
  return c;
}

Change Client::tick(uint64_t now) {
  if (lease_) {
    if (now >= lease_->expires) return lose(now);
    if (state_ != State::rebinding && now >= lease_->t2) {  // no answer from our server: ask any (4.4.5)
      state_ = State::rebinding;
      xid_ = next_xid();
      exchange_start_ = now;
      send(MessageType::request, now, lease_->address, 0, 0, false);
      schedule_half_of(now, lease_->expires);
    } else if (state_ == State::bound && now >= lease_->t1) {
      state_ = State::renewing;
      xid_ = next_xid();
      exchange_start_ = now;
      send(MessageType::request, now, lease_->address, 0, 0, true);
      schedule_half_of(now, lease_->t2);
    } else if (state_ != State::bound && now >= retry_at_) {
      bool renewing = state_ == State::renewing;
      send(MessageType::request, now, lease_->address, 0, 0, renewing);
      schedule_half_of(now, renewing ? lease_->t2 : lease_->expires);
    }
    return {};
  }
  if (now < retry_at_) return {};
  if (state_ == State::requesting && tries_ < kRequestTries) {
    ++tries_;
    send(MessageType::request, now, 0, offer_.yiaddr, offer_.server_id, false);
    schedule_backoff(now);
  } else if (state_ == State::selecting) {
    send(MessageType::discover, now, 0, 0, 0, false);
    schedule_backoff(now);
  } else {  // INIT, or REQUESTING without an answer: start over
    start_discover(now);
  }
  return {};
}

Change Client::bind(const Reply& r) {
  const uint32_t mask = r.prefix && *r.prefix ? ~uint32_t{0} << (32 - *r.prefix) : 0;
  const bool gateway_ok = r.router && r.router != r.yiaddr && (r.router & mask) == (r.yiaddr & mask);
  if (!r.yiaddr || !r.prefix || *r.prefix == 0 || *r.prefix > 30 || !gateway_ok || !r.lease_s) {
    ++ignored_;  // a lease we could not route with: keep asking, the server may be fixed
    return {};
  }
  Lease l;
  l.address = r.yiaddr;
  l.prefix = *r.prefix;
  l.gateway = r.router;
  l.server = r.server_id ? r.server_id : lease_ ? lease_->server : offer_.server_id;
  l.server_mac = r.src_mac;
  l.lease_s = *r.lease_s;
  l.acquired = last_sent_;  // times count from the request, not the answer (RFC 2131 4.4.1)
  if (l.lease_s == 0xffffffff) {
    l.t1 = l.t2 = l.expires = kNever;
  } else {
    uint64_t t1 = r.t1_s.value_or(l.lease_s / 2), t2 = r.t2_s.value_or(uint64_t{l.lease_s} * 7 / 8);
    if (!(t1 <= t2 && t2 <= l.lease_s)) {  // RFC 2131 4.4.5 defaults when the server's times make no sense
      t1 = l.lease_s / 2;
      t2 = uint64_t{l.lease_s} * 7 / 8;
    }
    l.t1 = l.acquired + t1 * hz_;
    l.t2 = l.acquired + t2 * hz_;
    l.expires = l.acquired + uint64_t{l.lease_s} * hz_;
  }
  Change c;
  if (!lease_) {
    c.event = Event::bound;
  } else {
    c.event = l.same_binding(*lease_) ? Event::renewed : Event::changed;
    c.previous = *lease_;
  }
  c.lease = l;
  lease_ = l;
  state_ = State::bound;
  return c;
}

Change Client::on_reply(const Reply& r, uint64_t now) {
  if (r.client_mac != mac_ || r.xid != xid_) {
    ++ignored_;
    return {};
  }
  const bool waiting_ack = state_ == State::requesting || state_ == State::renewing || state_ == State::rebinding;
  if (state_ == State::selecting && r.type == MessageType::offer && r.yiaddr && r.server_id) {
    offer_ = r;
    state_ = State::requesting;
    tries_ = 1;
    retry_s_ = kFirstRetryS;
    send(MessageType::request, now, 0, r.yiaddr, r.server_id, false);
    schedule_backoff(now);
    return {};
  }
  if (waiting_ack && r.type == MessageType::ack) return bind(r);
  if (waiting_ack && r.type == MessageType::nak) {
    ++naks_;
    if (lease_) return lose(now);
    state_ = State::init;  // the offer was taken back: start over at the next tick (RFC 2131 3.1.5)
    retry_at_ = now;
    return {};
  }
  ++ignored_;
  return {};
}

}  // namespace wansteer::dhcp
