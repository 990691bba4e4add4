// HttpServer: a small read-only HTTP listener (civetweb) for the exporter's pages. Routes are fixed at start and
// answer GET and HEAD only; each handler runs on an HTTP thread and must not read control state.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>

struct mg_context;
struct mg_connection;

namespace wansteer {

class HttpServer {
 public:
  struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };
  using Handler = std::function<Response()>;
  using Routes = std::map<std::string, Handler>;  // exact path ("/metrics") -> handler

  // Listens on `listen` ("127.0.0.1:9469", "[::1]:9469", port 0 for any) with `threads` HTTP threads; nullptr with
  // *error (civetweb's reason) when it cannot.
  static std::unique_ptr<HttpServer> start(const std::string& listen, unsigned threads, Routes routes,
                                           std::string* error);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port actually bound (useful with port 0); 0 when unknown.
  int port() const;

 private:
  HttpServer() = default;
  static int on_request(mg_connection* conn);
  Routes routes_;  // read-only once the threads run
  mg_context* ctx_ = nullptr;
};

}  // namespace wansteer
