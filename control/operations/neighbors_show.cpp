// `wansteerctl show neighbors`: the LAN side's ARP table.
#include "control/operations/neighbors_show.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/common/addr_format.hpp"

namespace wansteer {

std::string neighbors_reply(const std::vector<Neighbours::Row>& rows, bool json) {
  if (json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& r : rows)
      a.push_back({{"ip", ipv4_str(r.ip)},
                   {"mac", r.resolved ? nlohmann::ordered_json(mac_str(r.mac.addr_bytes)) : nullptr},
                   {"vlan", r.vlan},
                   {"static", r.fixed},
                   {"resolved", r.resolved},
                   {"held_packets", r.held}});
    return a.dump() + "\n";
  }
  std::string out = fmt::format("LAN NEIGHBORS ({})\n", rows.size());
  if (rows.empty()) return out + "  none yet: a host appears when it sends ARP (or is a static entry)\n";
  out += fmt::format("  {:<16} {:<18} {:<5} {:<8} {}\n", "ADDRESS", "MAC", "VLAN", "ENTRY", "WAITING");
  for (const auto& r : rows)
    out += fmt::format("  {:<16} {:<18} {:<5} {:<8} {}\n", ipv4_str(r.ip),
                       r.resolved ? mac_str(r.mac.addr_bytes) : "(asking)", r.vlan ? std::to_string(r.vlan) : "-",
                       !r.resolved ? "-"
                       : r.fixed   ? "static"
                                   : "learned",
                       r.held ? fmt::format("{} packets", r.held) : "");
  return out;
}

}  // namespace wansteer
