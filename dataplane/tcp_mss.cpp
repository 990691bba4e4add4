// TCP MSS clamping (see tcp_mss.hpp): the option walk and the incremental checksum update.
#include "dataplane/tcp_mss.hpp"

#include "dataplane/frame_edit.hpp"

namespace wansteer {
namespace {

constexpr uint32_t kTcpMinHeader = 20;
constexpr uint8_t kOptEol = 0, kOptNop = 1, kOptMss = 2, kOptMssLen = 4;

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint16_t bswap16(uint16_t v) { return static_cast<uint16_t>((v << 8) | (v >> 8)); }

// The offset of the MSS option's value within the header, or 0 when there is none (or the list is malformed).
uint32_t find_mss(const uint8_t* tcp, uint32_t end) {
  uint32_t i = kTcpMinHeader;
  while (i < end) {
    const uint8_t kind = tcp[i];
    if (kind == kOptEol) return 0;
    if (kind == kOptNop) {
      i++;
      continue;
    }
    if (i + 1 >= end) return 0;  // no room for the length byte
    const uint8_t len = tcp[i + 1];
    if (len < 2 || i + len > end) return 0;  // a length that cannot be walked past: leave the packet alone
    if (kind == kOptMss) return len == kOptMssLen ? i + 2 : 0;
    i += len;
  }
  return 0;
}

}  // namespace

bool tcp_mss_clamp(uint8_t* tcp, uint32_t avail, uint16_t max_mss) {
  if (avail < kTcpMinHeader || !tcp_is_syn(tcp)) return false;
  const uint32_t hl = (tcp[12] >> 4) * 4u;
  if (hl <= kTcpMinHeader || hl > avail) return false;
  const uint32_t at = find_mss(tcp, hl);
  if (at == 0) return false;
  const uint16_t old_mss = rd16(tcp + at);
  if (old_mss <= max_mss) return false;
  tcp[at] = static_cast<uint8_t>(max_mss >> 8);
  tcp[at + 1] = static_cast<uint8_t>(max_mss);
  // The checksum sums 16-bit words from the header's start: a value at an odd offset straddles two of them and
  // adds in byte-swapped (a one's-complement sum of swapped data is the swapped sum, RFC 1071 2(B)).
  const bool odd = (at & 1u) != 0;
  const uint16_t ow = odd ? bswap16(old_mss) : old_mss, nw = odd ? bswap16(max_mss) : max_mss;
  const uint16_t ck = checksum_update16(rd16(tcp + 16), ow, nw);
  tcp[16] = static_cast<uint8_t>(ck >> 8);
  tcp[17] = static_cast<uint8_t>(ck);
  return true;
}

}  // namespace wansteer
