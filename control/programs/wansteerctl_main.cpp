// wansteerctl: the operator's client for a running wansteer, over its UNIX control socket.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/operations/commands.hpp"

static int request(const std::string& path, std::string cmd, std::string* reply);

static void usage(FILE* f) {
  const std::string text =
      "Usage: wansteerctl [--ctl PATH] [--json] COMMAND\n"
      "Talks to a running wansteer over its control socket (default /run/wansteer/wansteer.sock).\n"
      "Commands:\n" +
      wansteer::ctl_help_lines() +
      "  drill LINK SECONDS        drill start, then wait here and print the report (which classes moved where,\n"
      "                            how fast, what the backup measured)\n"
      "--json prints machine-readable output for scripts.\n";
  std::fputs(text.c_str(), f);
}

int main(int argc, char** argv) {
  std::string path = "/run/wansteer/wansteer.sock";
  std::string cmd;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--ctl" && i + 1 < argc) {
      path = argv[++i];
    } else if (a.rfind("--ctl=", 0) == 0) {
      path = a.substr(6);
    } else {
      cmd += (cmd.empty() ? "" : " ") + a;
    }
  }
  if (cmd.empty()) {
    usage(stderr);
    return 2;
  }
  // `drill LINK SECONDS` starts the drill, then waits for it here (the daemon keeps serving meanwhile).
  bool drill_wait = false;
  {
    std::vector<std::string> w;
    size_t i = 0;
    while (i < cmd.size()) {
      size_t j = cmd.find(' ', i);
      if (j == std::string::npos) j = cmd.size();
      w.push_back(cmd.substr(i, j - i));
      i = j + 1;
    }
    if (w.size() == 3 && w[0] == "drill" && w[1] != "start") {
      cmd = "drill start " + w[1] + " " + w[2];
      drill_wait = true;
    }
  }
  if (drill_wait) {
    std::string reply;
    int rc = request(path, cmd, &reply);
    if (rc != 0) return rc;
    if (reply.rfind("error", 0) == 0) {
      std::fwrite(reply.data(), 1, reply.size(), stderr);
      return 1;
    }
    if (!json) std::fwrite(reply.data(), 1, reply.size(), stdout);
    std::fflush(stdout);
    for (;;) {
      ::usleep(200 * 1000);
      rc = request(path, "drill status --json", &reply);
      if (rc != 0) return rc;
      if (reply.find("\"running\":false") != std::string::npos) break;
    }
    rc = request(path, json ? "drill status --json" : "drill status", &reply);
    std::fwrite(reply.data(), 1, reply.size(), stdout);
    return rc;
  }
  if (json) cmd += " --json";
  std::string reply;
  int rc = request(path, cmd, &reply);
  if (rc != 0) return rc;
  std::fwrite(reply.data(), 1, reply.size(), stdout);
  return reply.rfind("error", 0) == 0 ? 1 : 0;
}

// One command, one connection: sends `cmd`, reads the whole reply. 0, or 3 when the daemon can't be reached.
static int request(const std::string& path, std::string cmd, std::string* reply) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "wansteerctl: socket path too long\n");
    ::close(fd);
    return 2;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "wansteerctl: cannot reach wansteer at %s: %s (is it running? right --ctl?)\n", path.c_str(),
                 std::strerror(errno));
    ::close(fd);
    return 3;
  }
  cmd += "\n";
  if (::write(fd, cmd.data(), cmd.size()) != static_cast<ssize_t>(cmd.size())) {
    std::fprintf(stderr, "wansteerctl: write failed: %s\n", std::strerror(errno));
    ::close(fd);
    return 3;
  }
  reply->clear();
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) reply->append(buf, static_cast<size_t>(n));
  ::close(fd);
  return 0;
}
