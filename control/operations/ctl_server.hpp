// CtlServer: the operator's control socket (UNIX stream, root-only), one request line -> one response.
#pragma once
#include <functional>
#include <string>

namespace wansteer {

class CtlServer {
 public:
  CtlServer() = default;
  ~CtlServer();
  CtlServer(const CtlServer&) = delete;
  CtlServer& operator=(const CtlServer&) = delete;

  // Creates the parent directory (0700) if needed, replaces a stale socket, listens (socket mode 0600).
  bool open(const std::string& path, std::string* error);

  // Answers every pending connection: reads one line, writes handler(line), closes. Never blocks long:
  // a client that sends nothing within 200 ms is dropped.
  void poll(const std::function<std::string(const std::string&)>& handler);

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace wansteer
