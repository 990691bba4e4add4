// The policy file's top-level sections, one reader each (one file each: <name>_section.cpp). Each takes what it
// needs from the sections read before it, explicitly, and reports its errors to the Diagnostics.
#pragma once
#include <string>
#include <vector>

#include "control/policy/prefix_list_file.hpp"
#include "control/policy/yaml_reader.hpp"

namespace wansteer::policy_reader {

// probing: (top-level defaults) and a link's probe: (overrides). Keys not given keep the values in `spec`; a
// stamp_auth_key_file is resolved relative to `base_dir` (the policy's directory) and read now.
void read_probe(Diagnostics& diag, const Item& it, const std::string& what, const std::string& base_dir,
                ProbeSpec& spec);

// lan: device, subnets, neighbors. True when it is good enough to check rules' VLANs and subnets against.
bool read_lan(Diagnostics& diag, const Field& f, LanSpec& lan);

// links: every link starts from the `probing` defaults; devices may not repeat the LAN's. Every list element keeps
// a slot so positions stay link indices. True when the list was readable (so unknown link names are real mistakes).
bool read_links(Diagnostics& diag, const Field& f, const ProbeSpec& probing, const std::string& lan_device,
                const std::string& base_dir, std::vector<LinkSpec>& links);

// A link's metered key: true/false, or {budget, period, reset_day} (a data budget; implies metered).
void read_metered(Diagnostics& diag, const Field& f, const std::string& what, LinkSpec& spec);

// A link's forwards: list (port forwards to LAN hosts; on a `routed` link, nat: false, the LAN hosts' ports open to
// the internet), appended to `out`; `what` names the link.
void read_forwards(Diagnostics& diag, const Field& f, const std::string& what, bool routed,
                   std::vector<ForwardSpec>& out);
// Once lan and links are read: every forward's target is a host of a LAN subnet; a routed link's keeps its port.
void check_forwards(Diagnostics& diag, const LanSpec& lan, const std::vector<LinkSpec>& links);

// classes (may be absent: `f` null, errors on counts at `root_mark`), their limits, and the implicit default class.
// Needs policy.links; `links_ok` says whether unknown link names are mistakes. True when the list was readable.
bool read_classes(Diagnostics& diag, const Field* f, const YAML::Mark& root_mark, bool links_ok, Policy& policy);

// What the rules are checked against: sections read before them.
struct RuleContext {
  Diagnostics& diag;
  const Policy& policy;  // lan subnets and classes
  bool lan_ok;           // the LAN section parsed well enough to check rules against it
  bool classes_ok;       // the classes list is readable, so unknown class names are real mistakes
  PrefixListFiles& prefix_lists;
  std::vector<PolicyOrigins::Rule>& origins;  // filled beside the rules: where each came from
};

// rules: each policy rule becomes one or more ClassRules (one per source x destination port range), in order.
void read_rules(RuleContext& ctx, const Field& f, std::vector<ClassRule>& rules);

void read_flow_cache(Diagnostics& diag, const Field& f, FlowCacheSpec& spec);
void read_nat(Diagnostics& diag, const Field& f, NatSpec& spec);

// shaper (may be absent): names classes, so runs after them; fills in the priority order and delay-drop defaults.
void read_shaper(Diagnostics& diag, const Field* f, const std::vector<ClassSpec>& classes, bool classes_ok,
                 ShaperSpec& spec);

void read_metrics(Diagnostics& diag, const Field& f, MetricsSpec& spec);

// overlay: the hub's public key and endpoint, our private key file (read and checked now, relative to base_dir),
// the inner MTU. Read before classes, whose paths may name it.
void read_overlay(Diagnostics& diag, const Field& f, const std::string& base_dir, const LanSpec& lan,
                  OverlaySpec& spec);
// A class's paths: ("overlay", "direct", "overlay via LINK", "direct via LINK"), in order, each once.
void read_class_paths(Diagnostics& diag, const Field& f, const std::string& what, const Policy& policy, bool links_ok,
                      ClassSpec& spec);

}  // namespace wansteer::policy_reader
