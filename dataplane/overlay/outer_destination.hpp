// Readdressing a sealed frame to another endpoint of the same peer (issue 13, site to site): the copy of a
// duplicated class sent to a site peer's second link when we have only one of our own. Worker threads, per packet.
#pragma once

#include <cstdint>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/byte_order.hpp"
#include "dataplane/overlay/overlay_config.hpp"

namespace wansteer {

// frame: a datagram as overlay_encap_headers wrote it (IPv4 without options, UDP checksum 0). ip and port: host order.
inline void overlay_set_destination(uint8_t* frame, uint32_t ip, uint16_t port) {
  auto* iph = reinterpret_cast<rte_ipv4_hdr*>(frame + kOverlayEthLen);
  iph->dst_addr = host_to_be32(ip);
  iph->hdr_checksum = 0;
  iph->hdr_checksum = rte_ipv4_cksum(iph);
  reinterpret_cast<rte_udp_hdr*>(frame + kOverlayEthLen + kOverlayIpLen)->dst_port = host_to_be16(port);
}

}  // namespace wansteer
