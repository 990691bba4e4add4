// HttpServer on civetweb's C API: one begin_request callback looks the path up in the fixed routes and writes the
// whole response; no files are ever served from disk.
#include "control/operations/http_server.hpp"

#include <civetweb.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace wansteer {

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    default:
      return "Internal Server Error";
  }
}

void send(mg_connection* conn, const HttpServer::Response& r, bool head) {
  // no-store: every load shows the state now. The CSP lets a page use nothing it did not bring itself (its inline
  // style); it has no script at all.
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n%s\r\n",
            r.status, reason_phrase(r.status), r.content_type.c_str(), r.body.size(),
            r.status == 405 ? "Allow: GET, HEAD\r\n" : "");
  if (!head && !r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
}

}  // namespace

int HttpServer::on_request(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  const auto* self = static_cast<const HttpServer*>(mg_get_user_data(mg_get_context(conn)));
  const bool head = std::strcmp(ri->request_method, "HEAD") == 0;
  Response r;
  if (!head && std::strcmp(ri->request_method, "GET") != 0) {
    r.status = 405;
    r.body = "read-only: GET or HEAD\n";
  } else if (auto it = self->routes_.find(ri->local_uri ? ri->local_uri : ""); it != self->routes_.end()) {
    r = it->second();
  } else {
    r.status = 404;
    r.body = "not found; try /status or /metrics\n";
  }
  send(conn, r, head);
  return r.status;  // non-zero: handled, civetweb serves nothing else
}

std::unique_ptr<HttpServer> HttpServer::start(const std::string& listen, unsigned threads, Routes routes,
                                              std::string* error) {
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->routes_ = std::move(routes);
  const std::string n = std::to_string(threads);
  const char* options[] = {"listening_ports", listen.c_str(), "num_threads", n.c_str(), nullptr};
  mg_callbacks callbacks{};
  callbacks.begin_request = &HttpServer::on_request;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = s.get();
  init.configuration_options = options;
  char text[256] = {};
  unsigned code = 0;
  mg_error_data err{};
  err.code = &code;
  err.text = text;
  err.text_buffer_size = sizeof text;
  s->ctx_ = mg_start2(&init, &err);
  if (s->ctx_ == nullptr) {
    *error = text[0] != '\0' ? text : "civetweb could not start";
    return nullptr;
  }
  return s;
}

HttpServer::~HttpServer() {
  if (ctx_ != nullptr) mg_stop(ctx_);
}

int HttpServer::port() const {
  std::vector<mg_server_port> ports(4);
  const int n = mg_get_server_ports(ctx_, static_cast<int>(ports.size()), ports.data());
  return n > 0 ? ports[0].port : 0;
}

}  // namespace wansteer
