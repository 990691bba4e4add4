// Port set-up: device lookup, queue configuration with offloads masked to capabilities, start and close.
#include "dataplane/setup/ports.hpp"

#include <string_view>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/packet_meta.hpp"

namespace wansteer {

static constexpr uint16_t kRxDesc = 1024;
static constexpr uint16_t kTxDesc = 1024;

std::string device_name(const std::string& device) { return device.substr(0, device.find(',')); }

bool find_port(const std::string& device, uint16_t* port_id, std::string* error) {
  std::string name = device_name(device);
  if (rte_eth_dev_get_port_by_name(name.c_str(), port_id) != 0) {
    *error = "device " + name + " not found (is the vdev string right, or the NIC bound to a DPDK driver?)";
    return false;
  }
  return true;
}

bool port_start(uint16_t port_id, uint16_t n_queues, rte_mempool* pool, std::string* error) {
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(port_id, &info);
  if (rc != 0) {
    *error = std::string("cannot read device info: ") + rte_strerror(-rc);
    return false;
  }
  if (info.max_rx_queues < n_queues || info.max_tx_queues < n_queues) {
    *error = "device has " + std::to_string(info.max_rx_queues) + " rx / " + std::to_string(info.max_tx_queues) +
             " tx queues, " + std::to_string(n_queues) +
             " needed (one per worker; for net_af_packet add qpairs=N to the device string)";
    return false;
  }
  // net_af_packet opens its qpairs=N sockets in one PACKET_FANOUT group when the device is probed, whatever queue
  // count is configured later: the kernel would hand the frames of some flows to sockets no worker reads, lost
  // without a count. (A NIC spreads RSS over the configured queues only; more queues than workers is normal there.)
  if (std::string_view(info.driver_name) == "net_af_packet" && info.max_rx_queues > n_queues) {
    *error = "qpairs=" + std::to_string(info.max_rx_queues) + " but " + std::to_string(n_queues) +
             " worker(s) to poll them: the kernel would hand part of the frames to queues nobody reads; set qpairs=" +
             std::to_string(n_queues) + " (one per worker) or --workers " + std::to_string(info.max_rx_queues);
    return false;
  }
  rte_eth_conf conf{};
  // Virtual devices offer no rx offloads; ask only for what the device has.
  conf.rxmode.offloads = 0 & info.rx_offload_capa;
  conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE & info.tx_offload_capa;
  if (n_queues > 1 && info.flow_type_rss_offloads != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  rc = rte_eth_dev_configure(port_id, n_queues, n_queues, &conf);
  if (rc != 0) {
    *error = std::string("cannot configure: ") + rte_strerror(-rc);
    return false;
  }
  uint16_t nb_rxd = kRxDesc, nb_txd = kTxDesc;
  rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
  int socket = rte_eth_dev_socket_id(port_id);
  for (uint16_t q = 0; q < n_queues; q++) {
    rte_eth_rxconf rxc = info.default_rxconf;
    rxc.offloads = conf.rxmode.offloads;
    rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, socket, &rxc, pool);
    if (rc != 0) {
      *error = "cannot set up rx queue " + std::to_string(q) + ": " + rte_strerror(-rc);
      return false;
    }
    rte_eth_txconf txc = info.default_txconf;
    txc.offloads = conf.txmode.offloads;
    rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, socket, &txc);
    if (rc != 0) {
      *error = "cannot set up tx queue " + std::to_string(q) + ": " + rte_strerror(-rc);
      return false;
    }
  }
  rc = rte_eth_dev_start(port_id);
  if (rc != 0) {
    *error = std::string("cannot start: ") + rte_strerror(-rc);
    return false;
  }
  return true;
}

void port_stop_close(uint16_t port_id) {
  rte_eth_dev_stop(port_id);
  rte_eth_dev_close(port_id);
}

rte_mempool* create_packet_pool(const char* name, unsigned n_mbufs, int socket, std::string* error) {
  rte_mempool* mp = rte_pktmbuf_pool_create(name, n_mbufs, 256, kMbufPrivSize, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (mp == nullptr) *error = std::string("cannot create packet pool: ") + rte_strerror(rte_errno);
  return mp;
}

bool create_fragment_pools(unsigned n_mbufs, int socket, rte_mempool** direct, rte_mempool** indirect,
                           std::string* error) {
  // Headroom for the Ethernet header put back in front, then the IPv4 header with options (60 bytes at most).
  *direct =
      rte_pktmbuf_pool_create("wansteer_frag_hdr", n_mbufs, 256, kMbufPrivSize, RTE_PKTMBUF_HEADROOM + 64, socket);
  *indirect = rte_pktmbuf_pool_create("wansteer_frag_ref", n_mbufs, 256, 0, 0, socket);
  if (*direct != nullptr && *indirect != nullptr) return true;
  *error = std::string("cannot create the fragmentation pools: ") + rte_strerror(rte_errno);
  rte_mempool_free(*direct);
  rte_mempool_free(*indirect);
  *direct = *indirect = nullptr;
  return false;
}

}  // namespace wansteer
