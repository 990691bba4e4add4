// Test helper: builds Ethernet frames layer by layer (VLAN, ARP, IPv4/IPv6 + options/extensions, TCP/UDP/ICMP)
// with lengths, next-protocol fields and checksums filled in, and copies them into mbufs from a test mempool.
#pragma once
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/packet_meta.hpp"

namespace wansteer::test {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;
using Ip6 = std::array<uint8_t, 16>;

inline uint32_t ip4(const char* s) {  // host byte order
  in_addr a{};
  if (inet_pton(AF_INET, s, &a) != 1) return 0;
  return ntohl(a.s_addr);
}
inline Ip6 ip6(const char* s) {
  Ip6 a{};
  inet_pton(AF_INET6, s, a.data());
  return a;
}
inline std::array<uint8_t, 16> ip4_bytes16(uint32_t host) {  // PacketMeta layout: IPv4 in the first 4 bytes
  std::array<uint8_t, 16> a{};
  a[0] = host >> 24;
  a[1] = host >> 16;
  a[2] = host >> 8;
  a[3] = host;
  return a;
}

// Knobs for IPv4; unset optionals are computed. Raw overrides exist to build malformed headers.
struct Ipv4Opts {
  uint8_t dscp = 0, ecn = 0, ttl = 64;
  uint16_t id = 1;
  bool df = false, mf = false;
  uint16_t frag_offset = 0;                    // in 8-byte units
  Bytes options;                               // appended after the base header, zero-padded to a multiple of 4
  std::optional<uint8_t> version, ihl, proto;  // ihl in 32-bit words
  std::optional<uint16_t> total_length, checksum;
};

struct Ipv6Opts {
  uint8_t dscp = 0, ecn = 0, hop_limit = 64;
  uint32_t flow_label = 0;
  std::optional<uint8_t> version, next_header;
  std::optional<uint16_t> payload_length;
};

class PacketBuilder {
 public:
  static constexpr Mac kDefaultDst{0x02, 0, 0, 0, 0, 0x01};
  static constexpr Mac kDefaultSrc{0x02, 0, 0, 0, 0, 0x02};

  explicit PacketBuilder(Mac dst = kDefaultDst, Mac src = kDefaultSrc) {
    b_.insert(b_.end(), dst.begin(), dst.end());
    b_.insert(b_.end(), src.begin(), src.end());
    push({Kind::eth, b_.size(), 2});
    put16(0);
  }

  // An 802.1Q (0x8100) or 802.1ad (0x88a8) tag; its TPID goes in the previous type field.
  PacketBuilder& vlan(uint16_t vid, uint16_t tpid = 0x8100, uint8_t pcp = 0) {
    push({Kind::vlan, b_.size(), 4, tpid});
    put16(static_cast<uint16_t>((pcp << 13) | (vid & 0x0fff)));
    put16(0);  // inner type, fixed up
    return *this;
  }

  // Forces the ethertype in the innermost Ethernet/VLAN type field, whatever layer follows (malformed frames).
  PacketBuilder& ethertype(uint16_t t) {
    forced_ethertype_ = t;
    return *this;
  }

  PacketBuilder& arp(uint16_t op, uint32_t spa, uint32_t tpa, Mac sha = kDefaultSrc, Mac tha = Mac{}) {
    push({Kind::arp, b_.size(), 28, 0x0806});
    put16(1);
    put16(0x0800);
    b_.push_back(6);
    b_.push_back(4);
    put16(op);
    b_.insert(b_.end(), sha.begin(), sha.end());
    put32(spa);
    b_.insert(b_.end(), tha.begin(), tha.end());
    put32(tpa);
    return *this;
  }

  PacketBuilder& ipv4(uint32_t src, uint32_t dst, const Ipv4Opts& o = {}) {
    Bytes opts = o.options;
    while (opts.size() % 4) opts.push_back(0);
    const size_t len = 20 + opts.size();
    Layer l{Kind::ipv4, b_.size(), len, 0x0800};
    l.v4 = o;
    push(l);
    b_.push_back(static_cast<uint8_t>((o.version.value_or(4) << 4) | (o.ihl.value_or(len / 4) & 0x0f)));
    b_.push_back(static_cast<uint8_t>((o.dscp << 2) | (o.ecn & 3)));
    put16(0);  // total length, fixed up
    put16(o.id);
    put16(static_cast<uint16_t>((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (o.frag_offset & 0x1fff)));
    b_.push_back(o.ttl);
    b_.push_back(0);  // proto, fixed up
    put16(0);         // checksum, fixed up
    put32(src);
    put32(dst);
    b_.insert(b_.end(), opts.begin(), opts.end());
    return *this;
  }

  PacketBuilder& ipv6(const Ip6& src, const Ip6& dst, const Ipv6Opts& o = {}) {
    Layer l{Kind::ipv6, b_.size(), 40, 0x86dd};
    l.v6 = o;
    push(l);
    const uint8_t tc = static_cast<uint8_t>((o.dscp << 2) | (o.ecn & 3));
    put32((uint32_t{o.version.value_or(6)} << 28) | (uint32_t{tc} << 20) | (o.flow_label & 0xfffff));
    put16(0);         // payload length, fixed up
    b_.push_back(0);  // next header, fixed up
    b_.push_back(o.hop_limit);
    b_.insert(b_.end(), src.begin(), src.end());
    b_.insert(b_.end(), dst.begin(), dst.end());
    return *this;
  }

  // Hop-by-hop (0), routing (43) or destination options (60): 8 * (units + 1) bytes, padded with PadN-free zeros.
  PacketBuilder& ipv6_ext(uint8_t type, uint8_t units = 0) {
    const size_t len = 8u * (units + 1u);
    push({Kind::ip6ext, b_.size(), len, type});
    b_.push_back(0);  // next header, fixed up
    b_.push_back(units);
    b_.resize(b_.size() + len - 2, 0);
    return *this;
  }
  PacketBuilder& ipv6_frag(uint16_t offset_units, bool more, uint32_t ident = 1) {
    push({Kind::ip6ext, b_.size(), 8, 44});
    b_.push_back(0);
    b_.push_back(0);
    put16(static_cast<uint16_t>((offset_units << 3) | (more ? 1 : 0)));
    put32(ident);
    return *this;
  }
  // Authentication header: (payload_words + 2) * 4 bytes.
  PacketBuilder& ipv6_ah(uint8_t payload_words = 4, uint32_t spi = 0x100) {
    const size_t len = (payload_words + 2u) * 4u;
    push({Kind::ip6ext, b_.size(), len, 51});
    b_.push_back(0);
    b_.push_back(payload_words);
    put16(0);
    put32(spi);
    b_.resize(b_.size() + len - 8, 0);
    return *this;
  }

  // TCP with `options` (padded to 4 bytes); data_offset overrides the header-length nibble (malformed frames).
  PacketBuilder& tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x02, Bytes options = {},
                     std::optional<uint8_t> data_offset = std::nullopt) {
    while (options.size() % 4) options.push_back(0);
    const size_t len = 20 + options.size();
    push({Kind::tcp, b_.size(), len, 6});
    put16(sport);
    put16(dport);
    put32(1000);
    put32(0);
    b_.push_back(static_cast<uint8_t>(data_offset.value_or(static_cast<uint8_t>(len / 4)) << 4));
    b_.push_back(flags);
    put16(65535);
    put16(0);
    put16(0);
    b_.insert(b_.end(), options.begin(), options.end());
    return *this;
  }
  PacketBuilder& udp(uint16_t sport, uint16_t dport) {
    push({Kind::udp, b_.size(), 8, 17});
    put16(sport);
    put16(dport);
    put16(0);
    put16(0);
    return *this;
  }
  // ICMP (IPv4) header: type, code, checksum, then 4 bytes of id/sequence.
  PacketBuilder& icmp(uint8_t type, uint8_t code = 0, uint16_t id = 1, uint16_t seq = 1) {
    push({Kind::icmp, b_.size(), 8, 1});
    b_.push_back(type);
    b_.push_back(code);
    put16(0);
    put16(id);
    put16(seq);
    return *this;
  }
  PacketBuilder& icmp6(uint8_t type, uint8_t code = 0, uint16_t id = 1, uint16_t seq = 1) {
    push({Kind::icmp6, b_.size(), 8, 58});
    b_.push_back(type);
    b_.push_back(code);
    put16(0);
    put16(id);
    put16(seq);
    return *this;
  }
  // Raw upper-layer bytes announced as protocol `proto` (e.g. 47 GRE, or 6 with too few bytes for a TCP header).
  PacketBuilder& raw_l4(uint8_t proto, const Bytes& bytes) {
    push({Kind::raw, b_.size(), bytes.size(), proto});
    b_.insert(b_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  PacketBuilder& payload(size_t n, uint8_t fill = 0xab) {
    b_.resize(b_.size() + n, fill);
    return *this;
  }
  // Bytes after the IP packet that lengths do not count (Ethernet minimum-size padding).
  PacketBuilder& trailer(size_t n) {
    trailer_ += n;
    return *this;
  }

  // The finished frame: type/next-header fields, lengths and checksums filled in (unless overridden).
  Bytes build() const {
    Bytes f = b_;
    const size_t ip_end = f.size();
    f.resize(f.size() + trailer_, 0);
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = layers_[i];
      const Layer* next = i + 1 < layers_.size() ? &layers_[i + 1] : nullptr;
      switch (l.kind) {
        case Kind::eth:
        case Kind::vlan: {
          const size_t at = l.kind == Kind::eth ? l.off : l.off + 2;
          const bool last_l2 = !next || next->kind != Kind::vlan;
          uint16_t t = 0;
          if (last_l2 && forced_ethertype_)
            t = *forced_ethertype_;
          else if (next && (next->kind == Kind::vlan || next->kind == Kind::arp || next->kind == Kind::ipv4 ||
                            next->kind == Kind::ipv6))
            t = next->type;
          w16(f, at, t);
          break;
        }
        case Kind::ipv4: {
          const uint8_t proto = l.v4.proto.value_or(next ? static_cast<uint8_t>(next->type) : 59);
          f[l.off + 9] = proto;
          w16(f, l.off + 2, l.v4.total_length.value_or(static_cast<uint16_t>(ip_end - l.off)));
          w16(f, l.off + 10, 0);
          const size_t hl = std::min<size_t>(l.len, f.size() - l.off);
          w16(f, l.off + 10, l.v4.checksum.value_or(static_cast<uint16_t>(~sum16(f.data() + l.off, hl, 0))));
          break;
        }
        case Kind::ipv6:
          f[l.off + 6] = l.v6.next_header.value_or(next ? static_cast<uint8_t>(next->type) : 59);
          w16(f, l.off + 4, l.v6.payload_length.value_or(static_cast<uint16_t>(ip_end - l.off - 40)));
          break;
        case Kind::ip6ext:
          f[l.off] = next ? static_cast<uint8_t>(next->type) : 59;
          break;
        default:
          break;
      }
    }
    // L4 checksums last, once every IP field they cover is final.
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = layers_[i];
      const size_t ck = l.kind == Kind::tcp                               ? 16
                        : l.kind == Kind::udp                             ? 6
                        : (l.kind == Kind::icmp || l.kind == Kind::icmp6) ? 2
                                                                          : 0;
      if (!ck) continue;
      const Layer* ip = nullptr;
      for (size_t j = i; j-- > 0;)
        if (layers_[j].kind == Kind::ipv4 || layers_[j].kind == Kind::ipv6) {
          ip = &layers_[j];
          break;
        }
      if (!ip) continue;
      const size_t len = ip_end - l.off;
      uint32_t s = 0;
      if (l.kind != Kind::icmp) {  // pseudo-header
        if (ip->kind == Kind::ipv4) {
          s = sum16(f.data() + ip->off + 12, 8, 0);
        } else {
          s = sum16(f.data() + ip->off + 8, 32, 0);
          s += static_cast<uint32_t>(len >> 16);
        }
        s += static_cast<uint32_t>(len & 0xffff) + static_cast<uint8_t>(l.type);
      }
      w16(f, l.off + ck, 0);
      uint16_t c = static_cast<uint16_t>(~sum16(f.data() + l.off, len, s));
      if (l.kind == Kind::udp && c == 0) c = 0xffff;
      w16(f, l.off + ck, c);
    }
    return f;
  }

 private:
  enum class Kind { eth, vlan, arp, ipv4, ipv6, ip6ext, tcp, udp, icmp, icmp6, raw };
  struct Layer {
    Kind kind;
    size_t off, len;
    uint16_t type = 0;  // what the previous layer's type/next-header field must say
    Ipv4Opts v4{};
    Ipv6Opts v6{};
  };
  void push(const Layer& l) { layers_.push_back(l); }
  void put16(uint16_t v) {
    b_.push_back(v >> 8);
    b_.push_back(v & 0xff);
  }
  void put32(uint32_t v) {
    put16(v >> 16);
    put16(v & 0xffff);
  }
  static void w16(Bytes& f, size_t at, uint16_t v) {
    if (at + 2 > f.size()) return;
    f[at] = v >> 8;
    f[at + 1] = v & 0xff;
  }
  // Folded one's-complement sum of big-endian 16-bit words.
  static uint16_t sum16(const uint8_t* p, size_t n, uint32_t s) {
    uint64_t acc = s;
    for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t{p[i]} << 8) | p[i + 1];
    if (n & 1) acc += uint32_t{p[n - 1]} << 8;
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(acc);
  }

  Bytes b_;
  std::vector<Layer> layers_;
  size_t trailer_ = 0;
  std::optional<uint16_t> forced_ethertype_;
};

// A pktmbuf pool whose private area holds PacketMeta, as the data plane's pools do.
inline rte_mempool* make_test_pool(const char* name, unsigned n = 1023) {
  return rte_pktmbuf_pool_create(name, n, 0, kMbufPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
}

// Copies a frame into a fresh single-segment mbuf; nullptr when the pool is empty or the frame too long.
inline rte_mbuf* to_mbuf(rte_mempool* pool, const Bytes& frame) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (!m) return nullptr;
  char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
  if (!d && !frame.empty()) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  if (!frame.empty()) std::memcpy(d, frame.data(), frame.size());
  return m;
}

}  // namespace wansteer::test
