// Top flows: gathered from the workers' published lists, rendered for `show flows` (control thread).
#include "control/operations/top_flows.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/common/addr_format.hpp"
#include "dataplane/packet_meta.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

namespace {
std::string proto_str(uint8_t p) {
  return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : p == IPPROTO_ICMP ? "icmp" : fmt::format("{}", p);
}
std::string link_name(const Policy& p, uint8_t l) { return l < p.links.size() ? p.links[l].name : "none"; }
}  // namespace

std::vector<TopFlow> gather_top_flows(const std::vector<WorkerContext*>& workers, size_t n) {
  std::vector<TopFlow> all;
  for (const WorkerContext* wc : workers) {
    std::vector<TopFlow> v;
    if (wc->flows && wc->flows->read_top_flows(&v)) all.insert(all.end(), v.begin(), v.end());
  }
  std::sort(all.begin(), all.end(), [](const TopFlow& a, const TopFlow& b) { return a.bytes > b.bytes; });
  if (all.size() > n) all.resize(n);
  return all;
}

std::string render_top_flows(const std::vector<TopFlow>& flows, const Policy& policy, uint64_t now, uint64_t hz,
                             bool json) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  std::string out = fmt::format("{:<5} {:<40} {:<40} {:<10} {:<7} {:>10} {:>14} {:>8}\n", "PROTO", "SOURCE",
                                "DESTINATION", "CLASS", "LINK", "PACKETS", "BYTES", "IDLE s");
  for (const TopFlow& f : flows) {
    const bool v4 = f.key.l3 == static_cast<uint8_t>(L3::ipv4);
    const std::string src = ip_bytes_str(f.key.src, v4), dst = ip_bytes_str(f.key.dst, v4);
    const std::string cls = f.class_id < policy.classes.size() ? policy.classes[f.class_id].name : "?";
    const double idle = now > f.last_seen_tsc ? static_cast<double>(now - f.last_seen_tsc) / hz : 0.0;
    if (json) {
      nlohmann::ordered_json j;
      j["proto"] = proto_str(f.key.proto);
      j["src"] = src;
      j["sport"] = f.key.sport;
      j["dst"] = dst;
      j["dport"] = f.key.dport;
      j["class"] = cls;
      j["link"] = link_name(policy, f.link);
      j["packets"] = f.packets;
      j["bytes"] = f.bytes;
      j["idle_s"] = std::round(idle * 1000) / 1000;
      arr.push_back(std::move(j));
      continue;
    }
    auto ep = [&](const std::string& a, uint16_t p) {
      return v4 ? fmt::format("{}:{}", a, p) : fmt::format("[{}]:{}", a, p);
    };
    out += fmt::format("{:<5} {:<40} {:<40} {:<10} {:<7} {:>10} {:>14} {:>8.1f}\n", proto_str(f.key.proto),
                       ep(src, f.key.sport), ep(dst, f.key.dport), cls, link_name(policy, f.link), f.packets, f.bytes,
                       idle);
  }
  return json ? arr.dump() + "\n" : out;
}

}  // namespace wansteer
