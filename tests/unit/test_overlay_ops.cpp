// The overlay's operator side (issue 13): a new key file is 0600, never replaces a file and holds the key whose public
// half it returns; the hub's wg-quick config carries the site's key, its LAN networks and the hub's NAT hooks.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "control/overlay/hub_config.hpp"
#include "control/overlay/private_key_file.hpp"
#include "control/overlay/private_key_writer.hpp"
#include "control/overlay/x25519.hpp"
#include "control/policy/policy.hpp"

using namespace wansteer;

namespace {

namespace fs = std::filesystem;

// An empty directory of the given mode, removed at the end.
struct KeygenDir {
  fs::path dir;
  explicit KeygenDir(mode_t mode = 0700) {
    dir = fs::temp_directory_path() / ("wansteer-keygen-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    chmod(dir.c_str(), mode);
  }
  ~KeygenDir() { fs::remove_all(dir); }
};

std::string file_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool has_config_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("keygen: a new 0600 file whose key's public half is returned", "[overlay][keygen]") {
  KeygenDir d;
  const std::string path = (d.dir / "site.key").string();
  std::string why;
  const auto pub = wg::write_new_private_key_file(path, &why);
  REQUIRE(pub);
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  const auto key = wg::read_private_key_file(path, &why);
  REQUIRE(key);
  CHECK(wg::public_key_of(*key) == *pub);
  CHECK(((*key)[0] & 7) == 0);  // clamped, as wg genkey writes it
  CHECK(((*key)[31] & 0xc0) == 0x40);
  CHECK(file_text(path).size() == 45);  // 44 characters of base64 and a newline
}

TEST_CASE("keygen: an existing file is never replaced", "[overlay][keygen]") {
  KeygenDir d;
  const std::string path = (d.dir / "site.key").string();
  std::string why;
  REQUIRE(wg::write_new_private_key_file(path, &why));
  const std::string before = file_text(path);
  CHECK_FALSE(wg::write_new_private_key_file(path, &why));
  CHECK(why.find("exists already") != std::string::npos);
  CHECK(file_text(path) == before);
}

TEST_CASE("keygen: refused in a directory every user may write to, unless sticky", "[overlay][keygen]") {
  std::string why;
  {
    KeygenDir d(0777);
    CHECK_FALSE(wg::write_new_private_key_file((d.dir / "k").string(), &why));
    CHECK(why.find("writable by every user") != std::string::npos);
    CHECK_FALSE(fs::exists(d.dir / "k"));
  }
  KeygenDir sticky(01777);
  CHECK(wg::write_new_private_key_file((sticky.dir / "k").string(), &why));
  KeygenDir none;
  CHECK_FALSE(wg::write_new_private_key_file((none.dir / "missing" / "k").string(), &why));
}

TEST_CASE("hub config: the site's key and networks, the hub's key, port, address and NAT", "[overlay][hub]") {
  wg::HubConfig c;
  c.site_name = "office";
  const wg::Key hub = wg::generate_private_key();
  const wg::Key site = wg::public_key_of(wg::generate_private_key());
  c.hub_private_key = hub;
  c.listen_port = 51999;
  c.hub_address = Ipv4Cidr{0x0ac80001, 24};
  c.mtu = 1380;
  c.site_public_key = site;
  c.site_networks = {Ipv4Cidr{0xc0a80a00, 24}, Ipv4Cidr{0xc0a81400, 24}};
  const std::string text = wg::hub_wg_quick_config(c);
  CHECK(has_config_line(text, "[Interface]"));
  CHECK(has_config_line(text, "PrivateKey = " + wg::key_to_base64(hub)));
  CHECK(has_config_line(text, "ListenPort = 51999"));
  CHECK(has_config_line(text, "Address = 10.200.0.1/24"));
  CHECK(has_config_line(text, "MTU = 1380"));
  CHECK(has_config_line(text, "PostUp = sysctl -q -w net.ipv4.ip_forward=1"));
  CHECK(text.find("postrouting iifname %i oifname") != std::string::npos);
  CHECK(text.find("masquerade") != std::string::npos);
  CHECK(has_config_line(text, "PostDown = nft delete table ip wansteer_hub"));
  CHECK(has_config_line(text, "[Peer]"));
  CHECK(has_config_line(text, "PublicKey = " + wg::key_to_base64(site)));
  CHECK(has_config_line(text, "AllowedIPs = 192.168.10.0/24, 192.168.20.0/24"));
  CHECK(text.find("Endpoint =") == std::string::npos);
  CHECK(text.find("PersistentKeepalive =") == std::string::npos);
}

TEST_CASE("hub config: without the hub's key, it is loaded on the hub from its own file", "[overlay][hub]") {
  wg::HubConfig c;
  c.site_networks = {Ipv4Cidr{0xc0a80a00, 24}};
  const std::string text = wg::hub_wg_quick_config(c);
  CHECK(text.find("PrivateKey =") == std::string::npos);
  CHECK(has_config_line(text, std::string("PostUp = wg set %i private-key ") + wg::kHubKeyPathOnHub));
}

TEST_CASE("hub config: the LAN subnets as networks, each once", "[overlay][hub]") {
  Policy p;
  p.lan.subnets = {{Ipv4Cidr{0xc0a80a01, 24}, 0, false},
                   {Ipv4Cidr{0xc0a81401, 24}, 20, false},
                   {Ipv4Cidr{0xc0a80afe, 24}, 30, false}};
  const auto nets = wg::lan_networks(p);
  REQUIRE(nets.size() == 2);
  CHECK((nets[0].addr == 0xc0a80a00 && nets[0].len == 24));
  CHECK((nets[1].addr == 0xc0a81400 && nets[1].len == 24));
}
