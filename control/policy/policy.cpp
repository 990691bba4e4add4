// Policy loader: reads the operator's YAML policy with yaml-cpp, validates every key and compiles the rules
// into ClassRules. Every problem becomes a PolicyError with FILE:LINE:COLUMN, all of them collected in file order.
#include "control/policy/policy.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "control/operations/metrics.hpp"
#include "dataplane/probe_ids.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>

namespace wansteer {

std::string PolicyError::to_string() const {
  return fmt::format("{}:{}:{}: {}", loc.file, loc.line, loc.column, reason);
}

int Policy::link_index(const std::string& n) const {
  for (size_t i = 0; i < links.size(); ++i)
    if (links[i].name == n) return static_cast<int>(i);
  return -1;
}

int Policy::class_index(const std::string& n) const {
  for (size_t i = 0; i < classes.size(); ++i)
    if (classes[i].name == n) return static_cast<int>(i);
  return -1;
}

std::optional<SlaSpec> sla_preset(const std::string& name) {
  // voice: the usual VoIP budget (ITU-T G.114 keeps one-way delay under 150 ms; 1 % loss and 30 ms jitter are
  // what common codecs' concealment and jitter buffers absorb). interactive: web apps, payments, Microsoft 365.
  // bulk: anything that only needs the line to work.
  if (name == "voice") return SlaSpec{"voice", 1, 150, 30};
  if (name == "interactive") return SlaSpec{"interactive", 3, 300, 60};
  if (name == "bulk") return SlaSpec{"bulk", 20, 1000, 200};
  return std::nullopt;
}

namespace {

namespace fs = std::filesystem;

constexpr size_t kMinLinks = 2;
constexpr size_t kMaxNameLen = 32;
constexpr uint32_t kMinFlowCache = 1024;
constexpr uint32_t kMaxFlowCache = 4194304;
constexpr int kMaxErrorsPerPrefixList = 10;  // past this a list file is probably not a prefix list at all

// ---- text helpers --------------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Plain decimal digits only: "0x10", "+5", "1.5" and "1_000" are all rejected so a typo can't mean something else.
bool parse_decimal(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 12) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

// "5mbit", "1.5mbit", "500kbit", "1gbit", "64000bit" or a plain number of bit/s. Decimal point allowed, but the
// result must be a whole number of bits; no "mbps" or "MB/s" so that bits and bytes cannot be confused.
bool parse_scaled(std::string_view s, const std::vector<std::pair<std::string_view, uint64_t>>& units, uint64_t& out) {
  size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  std::string_view num = s.substr(0, i), unit = s.substr(i);
  uint64_t mult = 0;
  for (const auto& [name, m] : units)
    if (unit == name) mult = m;
  if (mult == 0 || num.empty()) return false;
  auto dot = num.find('.');
  uint64_t whole = 0, frac = 0, scale = 1;
  if (!parse_decimal(num.substr(0, dot), whole)) return false;
  if (dot != std::string_view::npos) {
    std::string_view f = num.substr(dot + 1);
    if (f.empty() || f.size() > 6 || !parse_decimal(f, frac)) return false;
    for (size_t k = 0; k < f.size(); ++k) scale *= 10;
  }
  if (whole > (uint64_t{1} << 40)) return false;
  if ((frac * mult) % scale != 0) return false;  // "1.5bit": not a whole unit
  out = whole * mult + frac * mult / scale;
  return true;
}

bool parse_rate(std::string_view s, uint64_t& bps) {
  static const std::vector<std::pair<std::string_view, uint64_t>> kUnits{
      {"", 1}, {"bit", 1}, {"kbit", 1000}, {"mbit", 1000000}, {"gbit", 1000000000}};
  return parse_scaled(s, kUnits, bps);
}

bool parse_size(std::string_view s, uint64_t& bytes) {
  static const std::vector<std::pair<std::string_view, uint64_t>> kUnits{
      {"", 1}, {"b", 1}, {"kb", 1000}, {"mb", 1000000}, {"kib", 1024}, {"mib", 1048576}};
  return parse_scaled(s, kUnits, bytes);
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// " (did you mean "x"?)" when one option is a likely typo of `word`, else "".
std::string suggest(std::string_view word, const std::vector<std::string>& options) {
  std::string best;
  size_t best_d = 3;
  for (const auto& o : options) {
    size_t d = edit_distance(word, o);
    if (d < best_d && d < std::max<size_t>(o.size(), 2)) {
      best_d = d;
      best = o;
    }
  }
  return best.empty() ? std::string{} : fmt::format(" (did you mean \"{}\"?)", best);
}

// ---- address helpers -----------------------------------------------------------------------------------

uint32_t mask4(unsigned len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

std::string ip4_str(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

std::string cidr_str(const Ipv4Cidr& c) { return fmt::format("{}/{}", ip4_str(c.addr), c.len); }
std::string net_str(const Ipv4Cidr& c) { return fmt::format("{}/{}", ip4_str(c.network()), c.len); }

std::string ip6_str(const std::array<uint8_t, 16>& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  return buf;
}

std::optional<uint32_t> parse_ip4(std::string_view s) {
  std::string tmp(s);
  in_addr a{};
  if (inet_pton(AF_INET, tmp.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::optional<std::array<uint8_t, 16>> parse_ip6(std::string_view s) {
  std::string tmp(s);
  std::array<uint8_t, 16> a{};
  if (inet_pton(AF_INET6, tmp.c_str(), a.data()) != 1) return std::nullopt;
  return a;
}

bool overlaps(const Ipv4Cidr& a, const Ipv4Cidr& b) {
  uint32_t m = mask4(std::min(a.len, b.len));
  return (a.addr & m) == (b.addr & m);
}

bool inside(uint32_t ip, const Ipv4Cidr& c) { return (ip & c.mask()) == c.network(); }

// A prefix for matching (rules and prefix lists), IPv4 or IPv6.
struct AnyPrefix {
  bool v6 = false;
  Prefix4 p4;
  Prefix6 p6;
};

// Parses "addr/len" or a bare address (= /32 or /128). Host bits set below the length are an error rather than
// silently masked: "10.1.2.3/16" is far more often a typo in the length than an intended 10.1.0.0/16.
std::optional<AnyPrefix> parse_prefix(std::string_view text, std::string& why) {
  std::string_view addr = text, len_text;
  bool has_len = false;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    len_text = text.substr(slash + 1);
    has_len = true;
  }
  bool v6 = addr.find(':') != std::string_view::npos;
  unsigned max_len = v6 ? 128 : 32;
  uint64_t len = max_len;
  if (has_len && (!parse_decimal(len_text, len) || len > max_len)) {
    why = fmt::format("\"{}\" has an invalid prefix length (must be 0..{})", text, max_len);
    return std::nullopt;
  }
  AnyPrefix p;
  p.v6 = v6;
  if (!v6) {
    auto a = parse_ip4(addr);
    if (!a) {
      why = fmt::format("\"{}\" is not an IPv4 or IPv6 address or prefix", text);
      return std::nullopt;
    }
    p.p4 = Prefix4{*a, static_cast<uint8_t>(len)};
    if ((*a & ~mask4(static_cast<unsigned>(len))) != 0) {
      why = fmt::format("{} has host bits set after the /{} (did you mean {}/{}?)", text, len,
                        ip4_str(*a & mask4(static_cast<unsigned>(len))), len);
      return std::nullopt;
    }
    return p;
  }
  auto a = parse_ip6(addr);
  if (!a) {
    why = fmt::format("\"{}\" is not an IPv4 or IPv6 address or prefix", text);
    return std::nullopt;
  }
  std::array<uint8_t, 16> net = *a;
  for (unsigned bit = static_cast<unsigned>(len); bit < 128; ++bit)
    net[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  if (net != *a) {
    why = fmt::format("{} has host bits set after the /{} (did you mean {}/{}?)", text, len, ip6_str(net), len);
    return std::nullopt;
  }
  p.p6 = Prefix6{*a, static_cast<uint8_t>(len)};
  return p;
}

std::optional<MacAddress> parse_mac(std::string_view s) {
  if (s.size() != 17) return std::nullopt;
  MacAddress mac{};
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && s[i * 3 - 1] != ':') return std::nullopt;
    unsigned v = 0;
    for (size_t k = 0; k < 2; ++k) {
      char c = s[i * 3 + k];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<unsigned>(c - 'A' + 10);
      else
        return std::nullopt;
    }
    mac[i] = static_cast<uint8_t>(v);
  }
  return mac;
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > kMaxNameLen) return false;
  return std::all_of(n.begin(), n.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}

// "link \"fiber\"" when the item has a valid name, else "link 3": used before the name itself is validated,
// so that an unknown key in a link is reported against the link's name.
std::string label(const char* kind, const YAML::Node& n, size_t index) {
  if (n.IsMap() && n["name"] && n["name"].IsScalar() && valid_name(n["name"].Scalar()))
    return fmt::format("{} \"{}\"", kind, n["name"].Scalar());
  return fmt::format("{} {}", kind, index + 1);
}

const char* kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map of keys";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a single value";
  }
}

// ---- the compiler ------------------------------------------------------------------------------------

// One key of a YAML map with its value; marks come from both (a null value has no useful mark of its own).
struct Field {
  std::string name;
  YAML::Node key;
  YAML::Node value;
};

struct Fields {
  std::vector<Field> items;
  YAML::Mark mark;  // where the map starts: missing required keys are reported here
  const Field* get(std::string_view k) const {
    for (const auto& f : items)
      if (f.name == k) return &f;
    return nullptr;
  }
};

// An element to validate: its node and where to point when it is wrong.
struct Item {
  YAML::Node node;
  YAML::Mark mark;
};

struct PrefixList {
  bool ok = false;
  std::vector<Prefix4> v4;
  std::vector<Prefix6> v6;
};

class Compiler {
 public:
  Compiler(std::string file, std::string base_dir) : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

  PolicyResult run(const std::string& text);

 private:
  struct Pending {
    PolicyError err;
    int order_line, order_col;  // position in the policy file this error belongs to, for file order
    size_t seq;
  };

  std::string file_, base_dir_;
  std::vector<Pending> errors_;
  Policy policy_;
  bool lan_ok_ = false;                      // the LAN section parsed well enough to check rules against it
  bool links_ok_ = false;                    // the links list is readable, so unknown link names are real mistakes
  bool classes_ok_ = false;                  // likewise for class names in rules
  std::map<std::string, PrefixList> lists_;  // by resolved path: each file read (and its errors reported) once

  // -- error reporting
  void error_in(SourceLoc loc, const YAML::Mark& order, std::string reason) {
    int ol = order.is_null() ? 0 : order.line, oc = order.is_null() ? 0 : order.column;
    errors_.push_back(Pending{PolicyError{std::move(loc), std::move(reason)}, ol, oc, errors_.size()});
  }
  void error(const YAML::Mark& m, std::string reason) { error_in(loc(m), m, std::move(reason)); }
  SourceLoc loc(const YAML::Mark& m) const {
    if (m.is_null()) return SourceLoc{file_, 1, 1};
    return SourceLoc{file_, m.line + 1, m.column + 1};
  }
  static YAML::Mark at(const Field& f) { return f.value.IsNull() ? f.key.Mark() : f.value.Mark(); }
  static Item item(const Field& f) { return Item{f.value, at(f)}; }

  // -- generic readers; each reports its own error and returns nullopt on failure
  std::optional<Fields> map_fields(const Item& it, const std::string& what, std::initializer_list<const char*> valid);
  bool require(const Fields& f, const char* key, const std::string& what);
  std::optional<std::string> text(const Item& it, const std::string& what);
  std::optional<uint64_t> integer(const Item& it, const std::string& what, uint64_t lo, uint64_t hi);
  std::optional<std::vector<Item>> list(const Item& it, const std::string& what, bool scalar_ok, bool empty_ok);
  std::optional<Ipv4Cidr> iface_address(const Item& it, const std::string& what);
  std::optional<uint32_t> ip4(const Item& it, const std::string& what);
  std::optional<MacAddress> mac(const Item& it, const std::string& what);
  std::optional<PortRange> port_range(const Item& it, const std::string& what);
  std::optional<std::string> name(const Item& it, const std::string& what);
  std::optional<uint64_t> rate(const Item& it, const std::string& what);
  std::optional<uint64_t> size(const Item& it, const std::string& what, uint64_t lo, uint64_t hi);
  std::optional<RateLimitSpec> rate_limit(const Item& it, const std::string& what);
  void parse_capacity(const Field& f, LinkSpec& spec, const std::string& what);
  void parse_on_backup(const Field& f, ClassLimitSpec& spec, const std::string& what);
  std::vector<uint8_t> class_list(const Field& f, const std::string& what);
  std::optional<double> number(const Item& it, const std::string& what, double lo, double hi);
  std::optional<bool> boolean(const Item& it, const std::string& what);
  std::optional<std::string> choice(const Item& it, const std::string& what,
                                    std::initializer_list<const char*> options);

  // -- sections
  void parse_probe(const Item& it, const std::string& what, ProbeSpec& spec);
  void parse_sla(const Item& it, const std::string& what, SlaSpec& spec);
  ProbeSpec probing_;  // top-level defaults for every link's probe
  void parse_lan(const Field& f);
  void parse_links(const Field& f);
  void parse_classes(const Field* f, const YAML::Mark& root_mark);
  void parse_rules(const Field& f);
  void parse_rule(const Item& it, size_t index);
  void parse_flow_cache(const Field& f);
  void parse_shaper(const Field* f);
  void parse_metrics(const Field& f);
  const PrefixList* prefix_list(const Item& it, const std::string& what);
};

std::optional<Fields> Compiler::map_fields(const Item& it, const std::string& what,
                                           std::initializer_list<const char*> valid) {
  if (!it.node.IsMap()) {
    error(it.mark, fmt::format("{} must be a map of keys ({}), got {}", what, join({valid.begin(), valid.end()}),
                               kind_of(it.node)));
    return std::nullopt;
  }
  std::vector<std::string> valid_names(valid.begin(), valid.end());
  Fields out;
  out.mark = it.node.Mark();
  for (auto kv = it.node.begin(); kv != it.node.end(); ++kv) {
    // Copies on purpose: yaml-cpp's iterator-> hands out a temporary, so a reference would dangle.
    const YAML::Node k = kv->first;
    const YAML::Node v = kv->second;
    if (!k.IsScalar()) {
      error(k.Mark(), fmt::format("{}: keys must be plain words, got {}", what, kind_of(k)));
      continue;
    }
    const std::string& key = k.Scalar();
    if (std::find(valid_names.begin(), valid_names.end(), key) == valid_names.end()) {
      error(k.Mark(), fmt::format("{}: unknown key \"{}\"{}; valid keys are {}", what, key, suggest(key, valid_names),
                                  join(valid_names)));
      continue;
    }
    if (const Field* first = out.get(key)) {
      error(k.Mark(),
            fmt::format("{}: key \"{}\" appears twice (first on line {})", what, key, first->key.Mark().line + 1));
      continue;
    }
    out.items.push_back(Field{key, k, v});
  }
  return out;
}

bool Compiler::require(const Fields& f, const char* key, const std::string& what) {
  if (f.get(key)) return true;
  error(f.mark, fmt::format("{}: missing required key \"{}\"", what, key));
  return false;
}

std::optional<std::string> Compiler::text(const Item& it, const std::string& what) {
  if (it.node.IsNull()) {
    error(it.mark, fmt::format("{} has no value", what));
    return std::nullopt;
  }
  if (!it.node.IsScalar()) {
    error(it.mark, fmt::format("{} must be a single value, got {}", what, kind_of(it.node)));
    return std::nullopt;
  }
  return it.node.Scalar();
}

std::optional<uint64_t> Compiler::integer(const Item& it, const std::string& what, uint64_t lo, uint64_t hi) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  uint64_t v = 0;
  if (!parse_decimal(*s, v)) {
    error(it.mark, fmt::format("{} must be a whole number from {} to {}, got \"{}\"", what, lo, hi, *s));
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    error(it.mark, fmt::format("{} {} is out of range: allowed {} to {}", what, *s, lo, hi));
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<Item>> Compiler::list(const Item& it, const std::string& what, bool scalar_ok,
                                                bool empty_ok) {
  if (it.node.IsNull()) {
    error(it.mark, fmt::format("{} has no value", what));
    return std::nullopt;
  }
  if (it.node.IsScalar() && scalar_ok) return std::vector<Item>{it};
  if (!it.node.IsSequence()) {
    error(it.mark,
          fmt::format("{} must be a list{}, got {}", what, scalar_ok ? " or a single value" : "", kind_of(it.node)));
    return std::nullopt;
  }
  if (it.node.size() == 0 && !empty_ok) {
    error(it.mark, fmt::format("{} is an empty list", what));
    return std::nullopt;
  }
  std::vector<Item> out;
  for (const auto& e : it.node) {
    // A null element ("- " with nothing) has no mark of its own; point at the list instead.
    out.push_back(Item{e, e.IsNull() || e.Mark().is_null() ? it.mark : e.Mark()});
  }
  return out;
}

std::optional<std::string> Compiler::name(const Item& it, const std::string& what) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  if (!valid_name(*s)) {
    error(it.mark, fmt::format("{} \"{}\" is not a valid name: use 1 to {} characters from a-z, 0-9, _ and -", what, *s,
                               kMaxNameLen));
    return std::nullopt;
  }
  return s;
}

std::optional<double> Compiler::number(const Item& it, const std::string& what, double lo, double hi) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  std::string v(trim(*s));
  char* end = nullptr;
  errno = 0;
  double d = v.empty() ? 0 : std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || errno != 0 || !std::isfinite(d)) {
    error(it.mark, fmt::format("{} must be a number from {} to {}, got \"{}\"", what, lo, hi, *s));
    return std::nullopt;
  }
  if (d < lo || d > hi) {
    error(it.mark, fmt::format("{} {} is out of range: allowed {} to {}", what, *s, lo, hi));
    return std::nullopt;
  }
  return d;
}

std::optional<bool> Compiler::boolean(const Item& it, const std::string& what) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  if (*s == "true" || *s == "yes" || *s == "on") return true;
  if (*s == "false" || *s == "no" || *s == "off") return false;
  error(it.mark, fmt::format("{} must be true or false, got \"{}\"", what, *s));
  return std::nullopt;
}

std::optional<std::string> Compiler::choice(const Item& it, const std::string& what,
                                            std::initializer_list<const char*> options) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  std::vector<std::string> names(options.begin(), options.end());
  if (std::find(names.begin(), names.end(), *s) != names.end()) return s;
  error(it.mark, fmt::format("{} \"{}\" must be one of {}{}", what, *s, join(names), suggest(*s, names)));
  return std::nullopt;
}

// probe: off | {enabled, targets, interval_ms, ...}; keys not given keep the values already in `spec`.
void Compiler::parse_probe(const Item& it, const std::string& what, ProbeSpec& spec) {
  if (it.node.IsScalar()) {
    if (auto b = boolean(it, what)) spec.enabled = *b;
    return;
  }
  auto m = map_fields(it, what,
                      {"enabled", "targets", "interval_ms", "idle_interval_ms", "detect_multiplier", "loss_window",
                       "reply_timeout_ms", "hold_down_ms", "passive_timeout_ms", "min_samples"});
  if (!m) return;
  auto u32 = [&](const char* key, uint32_t& out, uint64_t lo, uint64_t hi) {
    if (const Field* f = m->get(key))
      if (auto v = integer(item(*f), fmt::format("{} {}", what, key), lo, hi)) out = static_cast<uint32_t>(*v);
  };
  if (const Field* f = m->get("enabled"))
    if (auto b = boolean(item(*f), what + " enabled")) spec.enabled = *b;
  u32("interval_ms", spec.interval_ms, 5, 60000);
  u32("idle_interval_ms", spec.idle_interval_ms, 5, 3600000);
  u32("detect_multiplier", spec.detect_multiplier, 2, 50);
  u32("loss_window", spec.loss_window, 10, 10000);
  u32("reply_timeout_ms", spec.reply_timeout_ms, 10, 10000);
  u32("hold_down_ms", spec.hold_down_ms, 0, 3600000);
  u32("passive_timeout_ms", spec.passive_timeout_ms, 0, 60000);
  u32("min_samples", spec.min_samples, 1, 10000);
  if (const Field* tf = m->get("targets")) {
    spec.targets.clear();
    if (auto items = list(item(*tf), what + " targets", false, true)) {
      for (size_t i = 0; i < items->size(); i++) {
        std::string tw = fmt::format("{} target {}", what, i + 1);
        ProbeTarget t;
        const Item& ti = (*items)[i];
        if (ti.node.IsScalar()) {  // a bare address: ICMP echo
          if (auto a = ip4(ti, tw))
            t.address = *a;
          else
            continue;
        } else {
          auto tm = map_fields(ti, tw, {"address", "kind", "port"});
          if (!tm) continue;
          if (!require(*tm, "address", tw)) continue;
          auto a = ip4(item(*tm->get("address")), tw + " address");
          if (!a) continue;
          t.address = *a;
          if (const Field* k = tm->get("kind"))
            if (auto c = choice(item(*k), tw + " kind", {"icmp", "stamp"}))
              t.kind = *c == "stamp" ? ProbeKind::stamp : ProbeKind::icmp;
          if (const Field* p = tm->get("port"))
            if (auto v = integer(item(*p), tw + " port", 1, 65535)) t.port = static_cast<uint16_t>(*v);
        }
        if (spec.targets.size() >= kMaxProbeTargets) {
          error(ti.mark, fmt::format("{}: at most {} probe targets per link", what, kMaxProbeTargets));
          break;
        }
        spec.targets.push_back(t);
      }
    }
  }
  if (spec.reply_timeout_ms < spec.interval_ms && m->get("reply_timeout_ms"))
    error(at(*m->get("reply_timeout_ms")), fmt::format("{}: reply_timeout_ms {} is shorter than interval_ms {}", what,
                                                       spec.reply_timeout_ms, spec.interval_ms));
}

// sla: voice | interactive | bulk | {preset, max_loss_pct, max_rtt_ms, max_jitter_ms}
void Compiler::parse_sla(const Item& it, const std::string& what, SlaSpec& spec) {
  if (it.node.IsScalar()) {
    if (auto c = choice(it, what, {"voice", "interactive", "bulk"})) spec = *sla_preset(*c);
    return;
  }
  auto m = map_fields(it, what, {"preset", "max_loss_pct", "max_rtt_ms", "max_jitter_ms"});
  if (!m) return;
  if (const Field* p = m->get("preset"))
    if (auto c = choice(item(*p), what + " preset", {"voice", "interactive", "bulk"})) spec = *sla_preset(*c);
  bool custom = false;
  if (const Field* f = m->get("max_loss_pct"))
    if (auto v = number(item(*f), what + " max_loss_pct", 0, 100)) spec.max_loss_pct = *v, custom = true;
  if (const Field* f = m->get("max_rtt_ms"))
    if (auto v = number(item(*f), what + " max_rtt_ms", 1, 60000)) spec.max_rtt_ms = *v, custom = true;
  if (const Field* f = m->get("max_jitter_ms"))
    if (auto v = number(item(*f), what + " max_jitter_ms", 0, 60000)) spec.max_jitter_ms = *v, custom = true;
  if (custom) spec.preset = "custom";
}

std::optional<uint32_t> Compiler::ip4(const Item& it, const std::string& what) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  auto a = parse_ip4(*s);
  if (!a) error(it.mark, fmt::format("{} \"{}\" is not an IPv4 address", what, *s));
  return a;
}

std::optional<MacAddress> Compiler::mac(const Item& it, const std::string& what) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  auto m = parse_mac(*s);
  if (!m) {
    error(it.mark,
          fmt::format("{} \"{}\" is not a MAC address like \"02:00:00:00:01:01\" (quote it in YAML)", what, *s));
    return std::nullopt;
  }
  if ((*m)[0] & 1u) {
    error(it.mark, fmt::format("{} {} is a multicast/broadcast MAC, not a host's", what, *s));
    return std::nullopt;
  }
  if (*m == MacAddress{}) {
    error(it.mark, fmt::format("{} is all zeros", what));
    return std::nullopt;
  }
  return m;
}

// The edge's own address on a network, with the subnet's length: 192.168.10.1/24.
std::optional<Ipv4Cidr> Compiler::iface_address(const Item& it, const std::string& what) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  auto slash = s->find('/');
  if (slash == std::string::npos) {
    error(it.mark, fmt::format("{} \"{}\" needs the subnet's prefix length, e.g. 192.168.10.1/24", what, *s));
    return std::nullopt;
  }
  std::string_view addr = std::string_view(*s).substr(0, slash), len_text = std::string_view(*s).substr(slash + 1);
  if (addr.find(':') != std::string_view::npos) {
    error(it.mark, fmt::format("{} \"{}\": interface addresses must be IPv4", what, *s));
    return std::nullopt;
  }
  auto a = parse_ip4(addr);
  uint64_t len = 0;
  if (!a) {
    error(it.mark, fmt::format("{} \"{}\" is not an IPv4 address", what, *s));
    return std::nullopt;
  }
  if (!parse_decimal(len_text, len) || len < 1 || len > 32) {
    error(it.mark, fmt::format("{} \"{}\" has an invalid prefix length (must be 1..32)", what, *s));
    return std::nullopt;
  }
  Ipv4Cidr c{*a, static_cast<uint8_t>(len)};
  if (len <= 30 && c.addr == c.network()) {
    error(it.mark, fmt::format("{} {} is the subnet's network address; give the edge's own address, e.g. {}/{}", what,
                               *s, ip4_str(c.network() + 1), len));
    return std::nullopt;
  }
  if (len <= 30 && c.addr == (c.network() | ~c.mask())) {
    error(it.mark, fmt::format("{} {} is the subnet's broadcast address; give the edge's own address", what, *s));
    return std::nullopt;
  }
  return c;
}

// A port, or a "lo-hi" range.
std::optional<PortRange> Compiler::port_range(const Item& it, const std::string& what) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  std::string_view v = trim(*s);
  uint64_t lo = 0, hi = 0;
  auto dash = v.find('-');
  bool ok = dash == std::string_view::npos
                ? parse_decimal(v, lo) && (hi = lo, true)
                : parse_decimal(trim(v.substr(0, dash)), lo) && parse_decimal(trim(v.substr(dash + 1)), hi);
  if (!ok) {
    error(it.mark, fmt::format("{} \"{}\" is not a port or a \"low-high\" port range", what, *s));
    return std::nullopt;
  }
  if (lo > 65535 || hi > 65535) {
    error(it.mark, fmt::format("{} \"{}\": ports go from 0 to 65535", what, *s));
    return std::nullopt;
  }
  if (lo > hi) {
    error(it.mark, fmt::format("{} \"{}\": range starts above its end (write \"{}-{}\")", what, *s, hi, lo));
    return std::nullopt;
  }
  return PortRange{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
}

constexpr uint64_t kMinRate = 8000;          // 8 kbit/s: 1000 bytes per second
constexpr uint64_t kMaxRate = 400000000000;  // 400 Gbit/s
constexpr uint64_t kMinBurst = 1514;         // one full frame: a smaller bucket could never pass one
constexpr uint64_t kMaxBurst = 1000000000;   // 1 GB

std::optional<uint64_t> Compiler::rate(const Item& it, const std::string& what) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  uint64_t v = 0;
  if (!parse_rate(*s, v)) {
    error(it.mark, fmt::format("{} \"{}\" is not a rate: write a number with bit, kbit, mbit or gbit (per second), "
                               "e.g. 5mbit or 1.5mbit; a plain number is bit/s",
                               what, *s));
    return std::nullopt;
  }
  if (v < kMinRate || v > kMaxRate) {
    error(it.mark, fmt::format("{} {} is out of range: allowed 8kbit to 400gbit", what, *s));
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> Compiler::size(const Item& it, const std::string& what, uint64_t lo, uint64_t hi) {
  auto s = text(it, what);
  if (!s) return std::nullopt;
  uint64_t v = 0;
  if (!parse_size(*s, v)) {
    error(it.mark, fmt::format("{} \"{}\" is not a size: write a number of bytes, optionally with b, kb, mb "
                               "(1000-based) or kib, mib, e.g. 64kb",
                               what, *s));
    return std::nullopt;
  }
  if (v < lo || v > hi) {
    error(it.mark, fmt::format("{} {} is out of range: allowed {} to {} bytes", what, *s, lo, hi));
    return std::nullopt;
  }
  return v;
}

// {rate, burst, peak_rate, peak_burst, exceed, remark_dscp}
std::optional<RateLimitSpec> Compiler::rate_limit(const Item& it, const std::string& what) {
  auto m = map_fields(it, what, {"rate", "burst", "peak_rate", "peak_burst", "exceed", "remark_dscp"});
  if (!m) return std::nullopt;
  RateLimitSpec r;
  bool ok = require(*m, "rate", what);
  if (const Field* f = m->get("rate")) {
    if (auto v = rate(item(*f), what + " rate"))
      r.rate_bps = *v;
    else
      ok = false;
  }
  if (const Field* f = m->get("burst")) {
    if (auto v = size(item(*f), what + " burst", kMinBurst, kMaxBurst))
      r.burst_bytes = *v;
    else
      ok = false;
  }
  if (const Field* f = m->get("peak_rate")) {
    if (auto v = rate(item(*f), what + " peak_rate")) {
      r.peak_rate_bps = *v;
      if (r.rate_bps && *v < r.rate_bps) {
        error(at(*f), fmt::format("{}: peak_rate {} is below rate {}; the peak must be at least the committed rate",
                                  what, f->value.Scalar(), m->get("rate")->value.Scalar()));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = m->get("peak_burst")) {
    if (!m->get("peak_rate")) {
      error(at(*f), fmt::format("{}: peak_burst needs peak_rate", what));
      ok = false;
    } else if (auto v = size(item(*f), what + " peak_burst", kMinBurst, kMaxBurst)) {
      r.peak_burst_bytes = *v;
    } else {
      ok = false;
    }
  }
  if (const Field* f = m->get("exceed")) {
    if (auto s = text(item(*f), what + " exceed")) {
      if (*s == "remark")
        r.remark = true;
      else if (*s != "drop") {
        error(at(*f), fmt::format("{}: exceed \"{}\" must be drop or remark", what, *s));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = m->get("remark_dscp")) {
    if (!r.remark) {
      error(at(*f), fmt::format("{}: remark_dscp is only used with exceed: remark", what));
      ok = false;
    } else if (auto v = integer(item(*f), what + " remark_dscp", 0, 63)) {
      r.remark_dscp = static_cast<uint8_t>(*v);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return r;
}

void Compiler::parse_capacity(const Field& f, LinkSpec& spec, const std::string& what) {
  auto m = map_fields(item(f), what + " capacity", {"up", "down"});
  if (!m) return;
  if (m->items.empty()) error(at(f), fmt::format("{}: capacity needs up and/or down", what));
  if (const Field* u = m->get("up"))
    if (auto v = rate(item(*u), what + " capacity up")) spec.capacity_up_bps = *v;
  if (const Field* d = m->get("down"))
    if (auto v = rate(item(*d), what + " capacity down")) spec.capacity_down_bps = *v;
}

void Compiler::parse_on_backup(const Field& f, ClassLimitSpec& spec, const std::string& what) {
  if (f.value.IsScalar()) {
    const std::string& s = f.value.Scalar();
    if (s == "block")
      spec.on_backup = BackupMode::block;
    else if (s == "unlimited")
      spec.on_backup = BackupMode::unlimited;
    else
      error(at(f), fmt::format("{}: on_backup \"{}\" must be block, unlimited or a map with limit", what, s));
    return;
  }
  auto m = map_fields(item(f), what + " on_backup", {"limit"});
  if (!m) return;
  if (!require(*m, "limit", what + " on_backup")) return;
  if (auto r = rate_limit(item(*m->get("limit")), what + " on_backup limit")) {
    spec.on_backup = BackupMode::limit;
    spec.backup_limit = *r;
  }
}

// A list of class names (or one name) as class ids: unknown and repeated names are errors.
std::vector<uint8_t> Compiler::class_list(const Field& f, const std::string& what) {
  std::vector<uint8_t> out;
  auto refs = list(item(f), what, true, false);
  if (!refs) return out;
  std::vector<std::string> names;
  for (const auto& c : policy_.classes) names.push_back(c.name);
  for (const auto& r : *refs) {
    auto n = text(r, what);
    if (!n) continue;
    int idx = policy_.class_index(*n);
    if (idx < 0) {
      if (classes_ok_)
        error(r.mark,
              fmt::format("{}: unknown class \"{}\"{}; classes are {}", what, *n, suggest(*n, names), join(names)));
    } else if (std::find(out.begin(), out.end(), idx) != out.end()) {
      error(r.mark, fmt::format("{}: class \"{}\" is listed twice", what, *n));
    } else {
      out.push_back(static_cast<uint8_t>(idx));
    }
  }
  return out;
}

// ---- sections ------------------------------------------------------------------------------------------

void Compiler::parse_lan(const Field& f) {
  auto m = map_fields(item(f), "lan", {"device", "subnets", "neighbors"});
  if (!m) return;
  bool ok = true;
  ok &= require(*m, "device", "lan");
  if (const Field* d = m->get("device")) {
    if (auto s = text(item(*d), "lan device")) {
      if (s->empty()) error(at(*d), "lan device is empty: give a DPDK vdev string or PCI address");
      policy_.lan.device = *s;
    }
  }
  ok &= require(*m, "subnets", "lan");
  if (const Field* sf = m->get("subnets")) {
    if (auto items = list(item(*sf), "lan subnets", false, false)) {
      if (items->size() > kMaxLanSubnets) {
        error(at(*sf), fmt::format("lan has {} subnets; at most {} are supported", items->size(), kMaxLanSubnets));
        ok = false;
      }
      for (size_t i = 0; i < items->size(); ++i) {
        std::string what = fmt::format("lan subnet {}", i + 1);
        auto sm = map_fields((*items)[i], what, {"address", "vlan"});
        if (!sm) {
          ok = false;
          continue;
        }
        LanSubnetSpec spec;
        bool sub_ok = require(*sm, "address", what);
        if (const Field* a = sm->get("address")) {
          if (auto c = iface_address(item(*a), what + " address")) {
            spec.address = *c;
            for (size_t j = 0; j < policy_.lan.subnets.size(); ++j) {
              const auto& other = policy_.lan.subnets[j].address;
              if (other.len && overlaps(other, *c)) {
                error(at(*a),
                      fmt::format("{}: {} overlaps an earlier lan subnet ({})", what, cidr_str(*c), cidr_str(other)));
                sub_ok = false;
              }
            }
          } else {
            sub_ok = false;
          }
        }
        if (const Field* v = sm->get("vlan")) {
          if (auto n = integer(item(*v), what + " vlan", 0, 4094))
            spec.vlan = static_cast<uint16_t>(*n);
          else
            sub_ok = false;
        }
        ok &= sub_ok;
        // Failed subnets are kept only when their address parsed, so later checks don't compare against 0.0.0.0/0.
        if (spec.address.len) policy_.lan.subnets.push_back(spec);
      }
    } else {
      ok = false;
    }
  }
  if (const Field* nf = m->get("neighbors"); nf && !nf->value.IsNull()) {
    if (auto items = list(item(*nf), "lan neighbors", false, true)) {
      for (size_t i = 0; i < items->size(); ++i) {
        std::string what = fmt::format("lan neighbor {}", i + 1);
        auto nm = map_fields((*items)[i], what, {"ip", "mac"});
        if (!nm) continue;
        require(*nm, "ip", what);
        require(*nm, "mac", what);
        StaticNeighbor n;
        bool n_ok = true;
        if (const Field* ipf = nm->get("ip")) {
          if (auto ip = ip4(item(*ipf), what + " ip")) {
            n.ip = *ip;
            bool in_lan = false, is_edge = false;
            for (const auto& s : policy_.lan.subnets) {
              in_lan |= inside(*ip, s.address);
              is_edge |= s.address.addr == *ip;
            }
            if (is_edge) {
              error(at(*ipf), fmt::format("{}: {} is the edge's own LAN address", what, ip4_str(*ip)));
              n_ok = false;
            } else if (!in_lan && !policy_.lan.subnets.empty()) {
              error(at(*ipf), fmt::format("{}: {} is not inside any lan subnet", what, ip4_str(*ip)));
              n_ok = false;
            }
            for (const auto& other : policy_.lan.neighbors)
              if (other.ip == *ip) {
                error(at(*ipf), fmt::format("{}: {} is listed twice", what, ip4_str(*ip)));
                n_ok = false;
              }
          } else {
            n_ok = false;
          }
        }
        if (const Field* mf = nm->get("mac")) {
          if (auto mm = mac(item(*mf), what + " mac"))
            n.mac = *mm;
          else
            n_ok = false;
        }
        if (n_ok) policy_.lan.neighbors.push_back(n);
      }
    }
  }
  lan_ok_ = ok;
}

void Compiler::parse_links(const Field& f) {
  auto items = list(item(f), "links", false, false);
  if (!items) return;
  if (items->size() < kMinLinks || items->size() > kMaxLinks)
    error(at(f), fmt::format("links has {} link{}; a policy needs {} to {} WAN links", items->size(),
                             items->size() == 1 ? "" : "s", kMinLinks, kMaxLinks));
  for (size_t i = 0; i < items->size(); ++i) {
    LinkSpec spec;
    spec.loc = loc((*items)[i].mark);
    std::string what = label("link", (*items)[i].node, i);
    auto m = map_fields((*items)[i], what,
                        {"name", "device", "address", "gateway", "gateway_mac", "role", "weight", "metered", "probe",
                         "capacity", "shaping"});
    spec.probe = probing_;
    if (m) {
      if (const Field* nf = m->get("name")) {
        if (auto n = name(item(*nf), what + " name")) {
          if (policy_.link_index(*n) >= 0) error(at(*nf), fmt::format("link name \"{}\" is used twice", *n));
          what = fmt::format("link \"{}\"", *n);
        }
        // Keep even an invalid name so classes naming it don't produce a second, misleading error.
        if (nf->value.IsScalar()) spec.name = nf->value.Scalar();
      } else {
        require(*m, "name", what);
      }
      require(*m, "device", what);
      if (const Field* d = m->get("device")) {
        if (auto s = text(item(*d), what + " device")) {
          if (s->empty()) {
            error(at(*d), fmt::format("{}: device is empty", what));
          } else if (*s == policy_.lan.device) {
            error(at(*d), fmt::format("{}: device \"{}\" is the LAN device", what, *s));
          } else {
            for (const auto& other : policy_.links)
              if (other.device == *s)
                error(at(*d), fmt::format("{}: device \"{}\" is already used by link \"{}\"", what, *s, other.name));
          }
          spec.device = *s;
        }
      }
      require(*m, "address", what);
      const Field* af = m->get("address");
      std::optional<Ipv4Cidr> addr;
      if (af) addr = iface_address(item(*af), what + " address");
      if (addr) spec.address = *addr;
      require(*m, "gateway", what);
      if (const Field* g = m->get("gateway")) {
        if (auto gw = ip4(item(*g), what + " gateway")) {
          spec.gateway = *gw;
          if (addr) {
            if (!inside(*gw, *addr))
              error(at(*g), fmt::format("{}: gateway {} is not inside {} (the link's subnet is {})", what, ip4_str(*gw),
                                        cidr_str(*addr), net_str(*addr)));
            else if (*gw == addr->addr)
              error(at(*g), fmt::format("{}: gateway {} is the edge's own address", what, ip4_str(*gw)));
            else if (addr->len <= 30 && (*gw == addr->network() || *gw == (addr->network() | ~addr->mask())))
              error(at(*g), fmt::format("{}: gateway {} is the network or broadcast address of {}", what, ip4_str(*gw),
                                        net_str(*addr)));
          }
        }
      }
      if (const Field* gm = m->get("gateway_mac"))
        if (auto mm = mac(item(*gm), what + " gateway_mac")) spec.gateway_mac = *mm;
      if (const Field* r = m->get("role")) {
        if (auto s = text(item(*r), what + " role")) {
          if (*s == "primary")
            spec.role = LinkRole::primary;
          else if (*s == "backup")
            spec.role = LinkRole::backup;
          else
            error(at(*r), fmt::format("{}: role \"{}\" must be primary or backup", what, *s));
        }
      }
      if (const Field* w = m->get("weight"))
        if (auto v = integer(item(*w), what + " weight", 1, 1000)) spec.weight = static_cast<uint32_t>(*v);
      if (const Field* me = m->get("metered"))
        if (auto b = boolean(item(*me), what + " metered")) spec.metered = *b;
      if (const Field* pr = m->get("probe")) parse_probe(item(*pr), what + " probe", spec.probe);
      if (const Field* c = m->get("capacity")) parse_capacity(*c, spec, what);
      if (const Field* sh = m->get("shaping")) {
        if (auto v = boolean(item(*sh), what + " shaping")) {
          spec.shaping = *v;
          if (*v && spec.capacity_up_bps == 0 && !m->get("capacity"))
            error(at(*sh), fmt::format("{}: shaping: true needs capacity: {{up: RATE}} (the rate to shape to)", what));
        }
      }
    }
    // Always keep a slot so the list position stays the link index for the links after it.
    policy_.links.push_back(std::move(spec));
  }
  links_ok_ = true;
}

void Compiler::parse_classes(const Field* f, const YAML::Mark& root_mark) {
  std::vector<std::string> link_names;
  for (const auto& l : policy_.links) link_names.push_back(l.name);
  bool have_default = false;
  YAML::Mark count_mark = f ? at(*f) : root_mark;
  size_t declared = 0;
  if (f && !f->value.IsNull()) {
    auto items = list(item(*f), "classes", false, true);
    if (!items) return;
    declared = items->size();
    for (size_t i = 0; i < items->size(); ++i) {
      ClassSpec spec;
      spec.loc = loc((*items)[i].mark);
      std::string what = label("class", (*items)[i].node, i);
      ClassLimitSpec limits;
      auto m = map_fields(
          (*items)[i], what,
          {"name", "links", "mode", "sla", "on_sla_breach", "on_recovery", "stick_by", "limit", "on_backup"});
      if (m) {
        if (const Field* nf = m->get("name")) {
          if (auto n = name(item(*nf), what + " name")) {
            if (policy_.class_index(*n) >= 0) error(at(*nf), fmt::format("class name \"{}\" is used twice", *n));
            what = fmt::format("class \"{}\"", *n);
          }
          if (nf->value.IsScalar()) spec.name = nf->value.Scalar();
          have_default |= spec.name == "default";
        } else {
          require(*m, "name", what);
        }
        if (const Field* lf = m->get("links")) {
          if (auto refs = list(item(*lf), what + " links", true, false)) {
            for (const auto& r : *refs) {
              auto n = text(r, what + " link");
              if (!n || !links_ok_) continue;
              int idx = policy_.link_index(*n);
              if (idx < 0) {
                error(r.mark, fmt::format("{}: unknown link \"{}\"{}; links are {}", what, *n, suggest(*n, link_names),
                                          join(link_names)));
              } else if (std::find(spec.links.begin(), spec.links.end(), idx) != spec.links.end()) {
                error(r.mark, fmt::format("{}: link \"{}\" is listed twice", what, *n));
              } else {
                spec.links.push_back(static_cast<uint8_t>(idx));
              }
            }
          }
        } else {
          require(*m, "links", what);
        }
        if (const Field* mf = m->get("mode")) {
          if (auto s = choice(item(*mf), what + " mode", {"priority", "balance", "best"}))
            spec.mode = *s == "priority" ? SteerMode::priority : *s == "balance" ? SteerMode::balance : SteerMode::best;
        }
        if (const Field* sf = m->get("sla")) parse_sla(item(*sf), what + " sla", spec.sla);
        if (const Field* bf = m->get("on_sla_breach"))
          if (auto s = choice(item(*bf), what + " on_sla_breach", {"move", "stay"}))
            spec.on_sla_breach = *s == "move" ? OnBreach::move : OnBreach::stay;
        if (const Field* rf = m->get("on_recovery"))
          if (auto s = choice(item(*rf), what + " on_recovery", {"return", "stay"}))
            spec.on_recovery = *s == "return" ? OnRecovery::back : OnRecovery::stay;
        if (const Field* kf = m->get("stick_by"))
          if (auto s = choice(item(*kf), what + " stick_by", {"flow", "host-pair"}))
            spec.stick_by = *s == "flow" ? StickBy::flow : StickBy::host_pair;
        if (const Field* lf = m->get("limit")) limits.limit = rate_limit(item(*lf), what + " limit");
        if (const Field* bf = m->get("on_backup")) parse_on_backup(*bf, limits, what);
      }
      policy_.classes.push_back(std::move(spec));
      policy_.class_limits.push_back(limits);
    }
  }
  size_t total = declared + (have_default ? 0 : 1);
  if (total > kMaxClasses)
    error(count_mark, fmt::format("{} classes{}; at most {} are allowed including default", total,
                                  have_default ? "" : " (with the implicit default)", kMaxClasses));
  if (!have_default) {
    // Unmatched traffic must go somewhere: by default it may use every link, in the order they are listed.
    ClassSpec def;
    def.name = "default";
    def.loc = loc(count_mark);
    for (size_t i = 0; i < policy_.links.size() && i < kMaxLinks; ++i) def.links.push_back(static_cast<uint8_t>(i));
    policy_.classes.push_back(std::move(def));
    policy_.class_limits.push_back(ClassLimitSpec{});
  }
  policy_.default_class = static_cast<uint8_t>(std::max(0, policy_.class_index("default")));
  classes_ok_ = true;
}

const PrefixList* Compiler::prefix_list(const Item& it, const std::string& what) {
  auto rel = text(it, what);
  if (!rel) return nullptr;
  if (rel->empty()) {
    error(it.mark, fmt::format("{} is an empty file name", what));
    return nullptr;
  }
  std::string path = (fs::path(base_dir_) / *rel).lexically_normal().string();
  if (auto found = lists_.find(path); found != lists_.end()) return &found->second;
  PrefixList& pl = lists_[path];
  std::error_code ec;
  std::ifstream in;
  if (!fs::is_directory(path, ec)) in.open(path);
  if (!in.is_open()) {
    int e = fs::is_directory(path, ec) ? EISDIR : errno;
    error(it.mark, fmt::format("{}: cannot open {}: {}", what, path, std::strerror(e)));
    return &pl;
  }
  std::string line;
  int line_no = 0, errors = 0;
  bool ok = true;
  while (std::getline(in, line)) {
    ++line_no;
    std::string_view v = line;
    if (auto hash = v.find('#'); hash != std::string_view::npos) v = v.substr(0, hash);
    std::string_view t = trim(v);
    if (t.empty()) continue;
    int col = static_cast<int>(t.data() - line.data()) + 1;
    auto space = t.find_first_of(" \t");
    std::string why;
    std::optional<AnyPrefix> p;
    if (space != std::string_view::npos)
      why = fmt::format("one prefix per line; \"{}\" has more after the prefix", t);
    else
      p = parse_prefix(t, why);
    if (!p) {
      ok = false;
      if (++errors <= kMaxErrorsPerPrefixList) error_in(SourceLoc{path, line_no, col}, it.mark, why);
      continue;
    }
    if (p->v6)
      pl.v6.push_back(p->p6);
    else
      pl.v4.push_back(p->p4);
  }
  if (errors > kMaxErrorsPerPrefixList)
    error_in(SourceLoc{path, line_no, 1}, it.mark,
             fmt::format("{} more bad lines not shown; is this a prefix list?", errors - kMaxErrorsPerPrefixList));
  if (ok && pl.v4.empty() && pl.v6.empty()) {
    // An empty list would leave the rule's address side empty, which means "any address": refuse it.
    error_in(SourceLoc{path, 1, 1}, it.mark,
             "prefix list contains no prefixes (a rule using it would match any address)");
    ok = false;
  }
  pl.ok = ok;
  return &pl;
}

void Compiler::parse_rule(const Item& it, size_t index) {
  std::string what = fmt::format("rule {}", index + 1);
  auto m = map_fields(it, what,
                      {"class", "dscp", "protocol", "src_ports", "dst_ports", "src", "dst", "src_prefix_lists",
                       "dst_prefix_lists", "vlan", "ingress_subnet"});
  if (!m) return;
  ClassRule base;
  bool ok = true;
  if (const Field* cf = m->get("class")) {
    if (auto n = text(item(*cf), what + " class")) {
      what = fmt::format("rule {} (class {})", index + 1, *n);
      int idx = policy_.class_index(*n);
      if (idx >= 0) {
        base.class_id = static_cast<uint8_t>(idx);
      } else {
        ok = false;
        if (classes_ok_) {
          std::vector<std::string> names;
          for (const auto& c : policy_.classes) names.push_back(c.name);
          error(at(*cf),
                fmt::format("{}: unknown class \"{}\"{}; classes are {}", what, *n, suggest(*n, names), join(names)));
        }
      }
    } else {
      ok = false;
    }
  } else {
    ok = require(*m, "class", what);
  }
  size_t match_keys = m->items.size() - (m->get("class") ? 1 : 0);
  if (match_keys == 0) {
    error(m->mark, fmt::format("{} has no match keys: add at least one of dscp, protocol, src_ports, dst_ports, src, "
                               "dst, src_prefix_lists, dst_prefix_lists, vlan, ingress_subnet",
                               what));
    return;
  }

  if (const Field* f = m->get("dscp")) {
    if (auto items = list(item(*f), what + " dscp", true, false)) {
      for (const auto& e : *items) {
        if (auto v = integer(e, what + " dscp", 0, 63))
          base.dscp.push_back(static_cast<uint8_t>(*v));
        else
          ok = false;
      }
    } else {
      ok = false;
    }
  }
  const Field* proto_field = m->get("protocol");
  if (proto_field) {
    if (auto s = text(item(*proto_field), what + " protocol")) {
      static const std::map<std::string, int16_t> kNames{{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
      uint64_t num = 0;
      if (auto n = kNames.find(*s); n != kNames.end())
        base.proto = n->second;
      else if (parse_decimal(*s, num) && num <= 255)
        base.proto = static_cast<int16_t>(num);
      else {
        error(at(*proto_field),
              fmt::format("{}: protocol \"{}\" must be tcp, udp, icmp, icmpv6 or a number 0..255", what, *s));
        ok = false;
      }
    } else {
      ok = false;
    }
  }

  auto ports = [&](const char* key) {
    std::vector<PortRange> out;
    if (const Field* f = m->get(key)) {
      if (auto items = list(item(*f), what + " " + key, true, false)) {
        for (const auto& e : *items) {
          if (auto r = port_range(e, what + " " + key))
            out.push_back(*r);
          else
            ok = false;
        }
      } else {
        ok = false;
      }
    }
    return out;
  };
  std::vector<PortRange> sports = ports("src_ports"), dports = ports("dst_ports");
  if ((m->get("src_ports") || m->get("dst_ports")) && base.proto != -1 && base.proto != 6 && base.proto != 17) {
    error(at(*proto_field), fmt::format("{}: ports only exist for tcp and udp, but protocol is {}; drop the "
                                        "protocol to match both tcp and udp",
                                        what, proto_field->value.Scalar()));
    ok = false;
  }

  auto add_prefixes = [&](const char* key, std::vector<Prefix4>& v4, std::vector<Prefix6>& v6) {
    if (const Field* f = m->get(key)) {
      if (auto items = list(item(*f), what + " " + key, true, false)) {
        for (const auto& e : *items) {
          auto s = text(e, what + " " + key);
          if (!s) {
            ok = false;
            continue;
          }
          std::string why;
          auto p = parse_prefix(*s, why);
          if (!p) {
            error(e.mark, fmt::format("{}: {}", what, why));
            ok = false;
          } else if (p->v6) {
            v6.push_back(p->p6);
          } else {
            v4.push_back(p->p4);
          }
        }
      } else {
        ok = false;
      }
    }
  };
  auto add_lists = [&](const char* key, std::vector<Prefix4>& v4, std::vector<Prefix6>& v6) {
    if (const Field* f = m->get(key)) {
      if (auto items = list(item(*f), what + " " + key, true, false)) {
        for (const auto& e : *items) {
          const PrefixList* pl = prefix_list(e, what + " " + key);
          if (!pl || !pl->ok) {
            ok = false;
            continue;
          }
          v4.insert(v4.end(), pl->v4.begin(), pl->v4.end());
          v6.insert(v6.end(), pl->v6.begin(), pl->v6.end());
        }
      } else {
        ok = false;
      }
    }
  };
  add_prefixes("src", base.src4, base.src6);
  add_prefixes("dst", base.dst4, base.dst6);
  add_lists("src_prefix_lists", base.src4, base.src6);
  add_lists("dst_prefix_lists", base.dst4, base.dst6);

  std::set<int> lan_vlans;
  for (const auto& s : policy_.lan.subnets) lan_vlans.insert(s.vlan);
  if (const Field* f = m->get("vlan")) {
    if (auto v = integer(item(*f), what + " vlan", 0, 4094)) {
      base.vlan = static_cast<int32_t>(*v);
      // Traffic only arrives on VLANs the LAN is configured for; any other id is a rule that never matches.
      if (lan_ok_ && !lan_vlans.count(base.vlan)) {
        std::vector<std::string> ids;
        for (int id : lan_vlans) ids.push_back(id == 0 ? "0 (untagged)" : std::to_string(id));
        error(at(*f), fmt::format("{}: vlan {} is not used by any lan subnet (in use: {})", what, *v, join(ids)));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (const Field* f = m->get("ingress_subnet")) {
    if (auto s = text(item(*f), what + " ingress_subnet")) {
      std::string why;
      auto p = parse_prefix(*s, why);
      if (!p) {
        error(at(*f), fmt::format("{}: ingress_subnet {}", what, why));
        ok = false;
      } else if (p->v6) {
        error(at(*f), fmt::format("{}: ingress_subnet {} must be one of the IPv4 lan subnets", what, *s));
        ok = false;
      } else {
        bool found = false;
        std::vector<std::string> nets;
        for (const auto& sub : policy_.lan.subnets) {
          nets.push_back(net_str(sub.address));
          found |= sub.address.network() == p->p4.addr && sub.address.len == p->p4.len;
        }
        if (!found && lan_ok_) {
          error(at(*f), fmt::format("{}: ingress_subnet {} is not one of the lan subnets ({})", what, *s, join(nets)));
          ok = false;
        }
        base.src4.push_back(p->p4);
      }
    } else {
      ok = false;
    }
  }

  if (ok) {
    if (!base.matches_v4() && !base.matches_v6()) {
      error(m->mark, fmt::format("{} can never match: its source prefixes and destination prefixes are of different "
                                 "IP versions",
                                 what));
      return;
    }
    if (base.proto == 1 && !base.matches_v4()) {
      error(at(*proto_field), fmt::format("{}: protocol icmp is IPv4-only but the rule's addresses are IPv6; use "
                                          "icmpv6",
                                          what));
      return;
    }
    if (base.proto == 58 && !base.matches_v6()) {
      error(at(*proto_field), fmt::format("{}: protocol icmpv6 is IPv6-only but the rule's addresses are IPv4; use "
                                          "icmp",
                                          what));
      return;
    }
  }
  if (!ok) return;

  // ClassRule holds one port range per side: a list of ranges becomes consecutive rules of the same class,
  // which keeps first-match order (they are alternatives of one policy rule).
  if (sports.empty()) sports.push_back(PortRange{});
  if (dports.empty()) dports.push_back(PortRange{});
  for (const auto& sp : sports)
    for (const auto& dp : dports) {
      ClassRule r = base;
      r.sport = sp;
      r.dport = dp;
      policy_.rules.push_back(std::move(r));
    }
}

void Compiler::parse_rules(const Field& f) {
  if (f.value.IsNull()) return;  // "rules:" with every rule commented out: everything is class default
  auto items = list(item(f), "rules", false, true);
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) parse_rule((*items)[i], i);
}

void Compiler::parse_flow_cache(const Field& f) {
  auto m = map_fields(item(f), "flow_cache", {"size", "idle_timeout_s"});
  if (!m) return;
  if (const Field* s = m->get("size"))
    if (auto v = integer(item(*s), "flow_cache size", kMinFlowCache, kMaxFlowCache))
      policy_.flow_cache.size = static_cast<uint32_t>(*v);
  if (const Field* t = m->get("idle_timeout_s"))
    if (auto v = integer(item(*t), "flow_cache idle_timeout_s", 1, 3600))
      policy_.flow_cache.idle_timeout_s = static_cast<uint32_t>(*v);
}

void Compiler::parse_shaper(const Field* f) {
  ShaperSpec& sp = policy_.shaper;
  std::optional<Fields> m;
  if (f && !f->value.IsNull())
    m = map_fields(item(*f), "shaper", {"priority", "delay_drop", "delay_target_ms", "delay_interval_ms", "queue_ms"});
  if (m) {
    if (const Field* p = m->get("priority")) sp.priority = class_list(*p, "shaper priority");
    if (const Field* d = m->get("delay_drop")) {
      if (d->value.IsSequence() && d->value.size() == 0)
        sp.delay_drop.clear();
      else
        sp.delay_drop = class_list(*d, "shaper delay_drop");
    }
    if (const Field* t = m->get("delay_target_ms"))
      if (auto v = integer(item(*t), "shaper delay_target_ms", 1, 1000)) sp.delay_target_ms = static_cast<uint32_t>(*v);
    if (const Field* t = m->get("delay_interval_ms"))
      if (auto v = integer(item(*t), "shaper delay_interval_ms", 1, 10000))
        sp.delay_interval_ms = static_cast<uint32_t>(*v);
    if (const Field* t = m->get("queue_ms"))
      if (auto v = integer(item(*t), "shaper queue_ms", 1, 1000)) sp.queue_ms = static_cast<uint32_t>(*v);
  }
  // Classes not listed follow in policy order, so the order always covers every class.
  for (size_t c = 0; c < policy_.classes.size() && c < kMaxClasses; ++c)
    if (std::find(sp.priority.begin(), sp.priority.end(), c) == sp.priority.end())
      sp.priority.push_back(static_cast<uint8_t>(c));
  if (!(m && m->get("delay_drop"))) {
    // The lowest classes bear delay-based drops by default: the last two in priority order.
    sp.delay_drop.clear();
    for (size_t i = sp.priority.size() >= 2 ? sp.priority.size() - 2 : 0; i < sp.priority.size(); ++i)
      sp.delay_drop.push_back(sp.priority[i]);
  }
}

void Compiler::parse_metrics(const Field& f) {
  auto m = map_fields(item(f), "metrics", {"listen"});
  if (!m) return;
  if (const Field* l = m->get("listen")) {
    if (auto s = text(item(*l), "metrics listen")) {
      if (std::string why; valid_listen_address(*s, &why))
        policy_.metrics.listen = *s;
      else
        error(at(*l), "metrics listen: " + why);
    }
  }
}

PolicyResult Compiler::run(const std::string& text_in) {
  policy_.path = file_;
  YAML::Node root;
  try {
    root = YAML::Load(text_in);
  } catch (const YAML::ParserException& e) {
    error(e.mark, fmt::format("YAML syntax error: {} (check indentation, colons and quotes)", e.msg));
  } catch (const YAML::Exception& e) {
    error(e.mark, fmt::format("cannot read YAML: {}", e.msg));
  }
  if (errors_.empty()) {
    if (root.IsNull()) {
      error(YAML::Mark::null_mark(), "policy file is empty");
    } else if (auto top = map_fields(
                   Item{root, root.Mark()}, "policy",
                   {"name", "lan", "links", "classes", "rules", "flow_cache", "probing", "metrics", "shaper"})) {
      // Probing defaults first: every link starts from them.
      if (const Field* pr = top->get("probing")) parse_probe(item(*pr), "probing", probing_);
      if (const Field* n = top->get("name"))
        if (auto s = text(item(*n), "name")) policy_.name = *s;
      if (const Field* lan = top->get("lan"))
        parse_lan(*lan);
      else
        require(*top, "lan", "policy");
      if (const Field* links = top->get("links"))
        parse_links(*links);
      else
        require(*top, "links", "policy");
      parse_classes(top->get("classes"), top->mark);
      if (const Field* rules = top->get("rules")) parse_rules(*rules);
      if (const Field* fc = top->get("flow_cache")) parse_flow_cache(*fc);
      parse_shaper(top->get("shaper"));
      if (const Field* mt = top->get("metrics")) parse_metrics(*mt);
    }
  }

  PolicyResult result;
  std::stable_sort(errors_.begin(), errors_.end(), [](const Pending& a, const Pending& b) {
    return std::tie(a.order_line, a.order_col, a.seq) < std::tie(b.order_line, b.order_col, b.seq);
  });
  for (auto& p : errors_) result.errors.push_back(std::move(p.err));
  if (result.errors.empty()) result.policy = std::move(policy_);
  return result;
}

}  // namespace

PolicyResult parse_policy(const std::string& text, const std::string& file, const std::string& base_dir) {
  return Compiler(file, base_dir).run(text);
}

PolicyResult load_policy(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    PolicyResult r;
    r.errors.push_back(PolicyError{SourceLoc{path, 1, 1}, fmt::format("cannot open: {}", std::strerror(EISDIR))});
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int e = errno;
    PolicyResult r;
    r.errors.push_back(PolicyError{SourceLoc{path, 1, 1}, fmt::format("cannot open: {}", std::strerror(e))});
    return r;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    int e = errno;
    PolicyResult r;
    r.errors.push_back(PolicyError{SourceLoc{path, 1, 1}, fmt::format("cannot read: {}", std::strerror(e))});
    return r;
  }
  return parse_policy(text.str(), path, fs::path(path).parent_path().string());
}

}  // namespace wansteer
