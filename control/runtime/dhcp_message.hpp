// The DHCP client's wire format (RFC 2131/2132): the frames it sends (Ethernet + IPv4 + UDP 68->67 + BOOTP with
// options) and the server replies it accepts, decoded strictly (every length checked, bad frames refused).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace wansteer::dhcp {

using Mac = std::array<uint8_t, 6>;

enum class MessageType : uint8_t { discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6, release = 7 };

constexpr uint16_t kServerPort = 67;
constexpr uint16_t kClientPort = 68;
constexpr uint32_t kBroadcast = 0xffffffff;
// Ethernet 14 + IPv4 20 + UDP 8 + the BOOTP message padded to the 300 octets old servers and relays insist on
// (RFC 1542 2.1); our options need 33 of its 64 option octets. Every frame the client sends is this long.
constexpr size_t kMaxFrame = 342;

// A message the client sends. Addresses in host order; 0 = not sent.
struct Outgoing {
  MessageType type = MessageType::discover;
  uint32_t xid = 0;
  uint16_t secs = 0;
  Mac client_mac{};
  uint32_t ciaddr = 0;        // our address while renewing or rebinding (RFC 2131 4.3.2 table 4)
  uint32_t requested_ip = 0;  // option 50, in SELECTING and INIT-REBOOT
  uint32_t server_id = 0;     // option 54, in SELECTING
  uint32_t dst_ip = kBroadcast;
  Mac dst_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
};

// What a server reply says. Addresses in host order; 0 = the option was absent.
struct Reply {
  MessageType type = MessageType::offer;
  uint32_t xid = 0;
  Mac client_mac{};  // chaddr
  Mac src_mac{};     // the Ethernet source: the server or the relay in front of it
  uint32_t yiaddr = 0;
  uint32_t server_id = 0;           // option 54
  std::optional<uint8_t> prefix;    // option 1, as a prefix length (a non-contiguous mask is refused)
  uint32_t router = 0;              // option 3, the first router
  std::optional<uint32_t> lease_s;  // option 51
  std::optional<uint32_t> t1_s;     // option 58
  std::optional<uint32_t> t2_s;     // option 59
};

// Writes `msg` as a whole Ethernet frame into `out` (at least kMaxFrame octets); returns its length.
size_t encode(const Outgoing& msg, std::span<uint8_t> out);

// Why a frame was not taken as a reply; `ok` when it was.
enum class Refusal : uint8_t { ok, not_dhcp, truncated, bad_checksum, bad_bootp, bad_option, no_type };
struct Decoded {
  Refusal refusal = Refusal::not_dhcp;
  Reply reply;
};
// Decodes an Ethernet frame (untagged IPv4, UDP 67 -> 68, BOOTREPLY) into a reply.
Decoded decode(std::span<const uint8_t> frame);

// The prefix length of a contiguous netmask, or nothing.
std::optional<uint8_t> prefix_of_mask(uint32_t mask);

}  // namespace wansteer::dhcp
