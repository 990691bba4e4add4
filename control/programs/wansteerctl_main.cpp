// wansteerctl: the operator's client for a running wansteer, over its UNIX control socket. The command is checked
// against the command table here first, so a typo is answered without a daemon (exit 2).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/operations/commands.hpp"

namespace {

// Exit statuses, as --help and the README list them.
enum Exit : int { kOk = 0, kRefused = 1, kUsage = 2, kUnreachable = 3 };

struct Args {
  std::string path = "/run/wansteer/wansteer.sock";
  bool json = false;
  std::vector<std::string> words;
};

void usage(FILE* f) {
  const std::string text =
      "Usage: wansteerctl [--ctl PATH] [--json] COMMAND\n"
      "       wansteerctl --help | --version\n"
      "Talks to a running wansteer over its control socket (default /run/wansteer/wansteer.sock).\n"
      "Commands:\n" +
      wansteer::ctl_help_lines() +
      "  drill LINK SECONDS        drill start, then wait here and print the report (which classes moved where,\n"
      "                            how fast, what the backup measured)\n"
      "--json prints machine-readable output for scripts, for every command (an error as "
      "{\"ok\":false,\"error\":..}).\n"
      "Exit status: 0 done, 1 the daemon refused the command (the reason on stderr, or in the JSON),\n"
      "2 bad command line (checked here, no daemon needed), 3 cannot reach the daemon.\n";
  std::fputs(text.c_str(), f);
}

// Parses argv; the exit status when the program should stop now (help, version, a bad command line).
int parse_args(int argc, char** argv, Args* a) {
  bool dry_run = false;
  for (int i = 1; i < argc; i++) {
    const std::string s = argv[i];
    if (s == "--help" || s == "-h") {
      usage(stdout);
      return kOk;
    } else if (s == "--version") {
      std::printf("wansteerctl %s\n", WANSTEER_VERSION);
      return kOk;
    } else if (s == "--json") {
      a->json = true;
    } else if (s == "--dry-run") {  // `reload --dry-run`: a word of the command, wherever it is written
      dry_run = true;
    } else if (s == "--ctl" && i + 1 < argc) {
      a->path = argv[++i];
    } else if (s.rfind("--ctl=", 0) == 0) {
      a->path = s.substr(6);
    } else if (s.rfind('-', 0) == 0) {
      const std::string why = s == "--ctl" ? "--ctl needs a PATH" : "unknown option " + s;
      std::fprintf(stderr, "wansteerctl: %s (try wansteerctl --help)\n", why.c_str());
      return kUsage;
    } else {
      a->words.push_back(s);
    }
  }
  if (dry_run) a->words.push_back("--dry-run");
  if (a->words.empty() || (a->words.size() == 1 && a->words[0] == "help")) {
    usage(a->words.empty() ? stderr : stdout);
    return a->words.empty() ? kUsage : kOk;
  }
  return -1;
}

// One command, one connection: sends `cmd`, reads the whole reply. kOk, or kUnreachable with the reason on stderr.
int request(const std::string& path, std::string cmd, std::string* reply) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    std::fprintf(stderr, "wansteerctl: socket path too long\n");
    return kUsage;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "wansteerctl: cannot reach wansteer at %s: %s (is it running? right --ctl?)\n", path.c_str(),
                 std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return kUnreachable;
  }
  cmd += "\n";
  if (::write(fd, cmd.data(), cmd.size()) != static_cast<ssize_t>(cmd.size())) {
    std::fprintf(stderr, "wansteerctl: write failed: %s\n", std::strerror(errno));
    ::close(fd);
    return kUnreachable;
  }
  reply->clear();
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) reply->append(buf, static_cast<size_t>(n));
  ::close(fd);
  return kOk;
}

// Prints a reply where it belongs: a refusal in text on stderr (exit 1), JSON and other text on stdout.
int print_reply(const std::string& reply) {
  if (reply.rfind("error", 0) == 0) {
    std::fputs(reply.c_str(), stderr);  // "error: ..." as the daemon words it
    return kRefused;
  }
  std::fwrite(reply.data(), 1, reply.size(), stdout);
  return reply.rfind("{\"ok\":false", 0) == 0 ? kRefused : kOk;
}

// `drill LINK SECONDS`: starts the drill, then waits for it here (the daemon keeps serving meanwhile).
int drill_and_wait(const Args& a) {
  std::string reply;
  int rc = request(a.path, "drill start " + a.words[1] + " " + a.words[2] + (a.json ? " --json" : ""), &reply);
  if (rc != kOk) return rc;
  if (reply.rfind("error", 0) == 0 || reply.rfind("{\"ok\":false", 0) == 0) return print_reply(reply);
  if (!a.json) std::fwrite(reply.data(), 1, reply.size(), stdout);
  std::fflush(stdout);
  for (;;) {
    ::usleep(200 * 1000);
    rc = request(a.path, "drill status --json", &reply);
    if (rc != kOk) return rc;
    if (reply.find("\"running\":false") != std::string::npos) break;
  }
  rc = request(a.path, a.json ? "drill status --json" : "drill status", &reply);
  return rc != kOk ? rc : print_reply(reply);
}

bool is_drill_and_wait(const std::vector<std::string>& w) {
  return w.size() == 3 && w[0] == "drill" && w[1] != "start" && w[1] != "status" && w[1] != "stop";
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (const int rc = parse_args(argc, argv, &a); rc >= 0) return rc;
  std::vector<std::string> checked = a.words;
  if (is_drill_and_wait(a.words)) checked.insert(checked.begin() + 1, "start");
  if (const std::string why = wansteer::ctl_usage_error(checked); !why.empty()) {
    std::fprintf(stderr, "wansteerctl: %s\n(wansteerctl --help lists the commands)\n", why.c_str());
    return kUsage;
  }
  if (is_drill_and_wait(a.words)) return drill_and_wait(a);
  std::string cmd;
  for (const std::string& w : a.words) cmd += (cmd.empty() ? "" : " ") + w;
  if (a.json) cmd += " --json";
  std::string reply;
  const int rc = request(a.path, cmd, &reply);
  return rc != kOk ? rc : print_reply(reply);
}
