// For unit tests of policies with an overlay: section: a private key file the loader accepts (mode 0600 unless
// told) in a directory removed at the end, and the section's text with a hub.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "control/overlay/x25519.hpp"

namespace wansteer::test {

// A directory with a key file wg.key (a fresh key, or `text`), removed at the end: parse policies with it as their
// directory.
struct OverlayKeyDir {
  std::filesystem::path dir;
  wg::Key key = wg::generate_private_key();
  explicit OverlayKeyDir(const std::string& text = "", mode_t mode = 0600) {
    dir = std::filesystem::temp_directory_path() / ("wansteer-overlay-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "wg.key") << (text.empty() ? wg::key_to_base64(key) + "\n" : text);
    chmod((dir / "wg.key").c_str(), mode);
  }
  ~OverlayKeyDir() { std::filesystem::remove_all(dir); }
  OverlayKeyDir(const OverlayKeyDir&) = delete;
  OverlayKeyDir& operator=(const OverlayKeyDir&) = delete;
};

inline const std::string kOverlayHubKey = wg::key_to_base64(wg::public_key_of(wg::generate_private_key()));

// The overlay: section with the hub at `endpoint` and the key file of an OverlayKeyDir; `extra`: more keys.
inline std::string overlay_section(const std::string& endpoint = "198.51.100.7:51820", const std::string& extra = "") {
  return "overlay:\n  hub: {public_key: \"" + kOverlayHubKey + "\", endpoint: \"" + endpoint +
         "\"}\n  private_key_file: wg.key\n" + extra;
}

}  // namespace wansteer::test
