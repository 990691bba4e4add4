// wansteerctl: the operator's client for a running wansteer, over its UNIX control socket.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(FILE* f) {
  std::fputs(
      "Usage: wansteerctl [--ctl PATH] [--json] COMMAND\n"
      "Talks to a running wansteer over its control socket (default /run/wansteer/wansteer.sock).\n"
      "Commands:\n"
      "  show counters        per port, per class x link packets, drops by reason, flows, mempool\n"
      "  show links           admin state, role, gateway and MAC of every WAN link\n"
      "  link down NAME       withdraw a link from steering now (its flows move to the next allowed link)\n"
      "  link up NAME         put it back\n"
      "  reload               re-read the policy file; an invalid one is rejected and the running one stays\n"
      "  ping                 answers ok when the daemon is up\n"
      "--json prints machine-readable output for scripts.\n",
      f);
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
  if (json) cmd += " --json";
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "wansteerctl: socket path too long\n");
    return 2;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "wansteerctl: cannot reach wansteer at %s: %s (is it running? right --ctl?)\n",
                 path.c_str(), std::strerror(errno));
    return 3;
  }
  cmd += "\n";
  if (::write(fd, cmd.data(), cmd.size()) != static_cast<ssize_t>(cmd.size())) {
    std::fprintf(stderr, "wansteerctl: write failed: %s\n", std::strerror(errno));
    return 3;
  }
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  std::fwrite(reply.data(), 1, reply.size(), stdout);
  return reply.rfind("error", 0) == 0 ? 1 : 0;
}
