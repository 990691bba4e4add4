// Port set-up at start: find the ethdev for a policy device, configure queues (one per worker), start, close.
#pragma once
#include <cstdint>
#include <string>

struct rte_mempool;

namespace wansteer {

// The ethdev name of a policy device: the part of a vdev string before the first comma, or a PCI address.
std::string device_name(const std::string& device);

// Finds the port id of a probed device. False with *error when it is not there.
bool find_port(const std::string& device, uint16_t* port_id, std::string* error);

// Configures n_queues rx and tx queues (queue i belongs to worker i), masks offloads to what the device
// offers, and starts the port. False with a readable *error.
bool port_start(uint16_t port_id, uint16_t n_queues, rte_mempool* pool, std::string* error);

// Stops and closes a port; its rx rings' mbufs go back to the pool.
void port_stop_close(uint16_t port_id);

// The packet mempool: single-segment mbufs with the PacketMeta private area.
rte_mempool* create_packet_pool(const char* name, unsigned n_mbufs, int socket, std::string* error);

// The pools IPv4 fragmentation takes its mbufs from (dataplane/ipv4_fragment.hpp): `direct` for each fragment's
// headers (small data room, PacketMeta in the private area), `indirect` (no data room) for the references into the
// original packet's data. False (and both null) when either cannot be made.
bool create_fragment_pools(unsigned n_mbufs, int socket, rte_mempool** direct, rte_mempool** indirect,
                           std::string* error);

}  // namespace wansteer
