// `wansteerctl show neighbors` (control thread): the LAN hosts the edge knows by ARP (learned or static), and those
// it is asking for with packets waiting, as a table or JSON.
#pragma once
#include <string>
#include <vector>

#include "control/runtime/neighbours.hpp"

namespace wansteer {

// JSON: an array of {"ip", "mac" (null while asking), "vlan" (0: untagged), "static", "resolved", "held_packets"}.
std::string neighbors_reply(const std::vector<Neighbours::Row>& rows, bool json);

}  // namespace wansteer
