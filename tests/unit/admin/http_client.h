// A blocking-looking HTTP client for admin tests: it runs the same
// event_base as the server until the reply arrives, so the test needs no
// threads and the server code runs exactly as in production.
#pragma once

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace courier::admin::testing {

struct Response {
  int status = 0;  // 0: no response (connection error or timeout)
  std::string body;
  std::map<std::string, std::string> headers;  // names as sent
};

inline Response fetch(event_base* base, uint16_t port, evhttp_cmd_type method,
                      const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                      const std::string& body = "") {
  struct State {
    event_base* base;
    Response response;
  } state{base, {}};
  evhttp_connection* conn = evhttp_connection_base_new(base, nullptr, "127.0.0.1", port);
  evhttp_connection_set_timeout(conn, 5);
  evhttp_request* req = evhttp_request_new(
      [](evhttp_request* r, void* arg) {
        auto* s = static_cast<State*>(arg);
        if (r != nullptr && evhttp_request_get_response_code(r) != 0) {
          s->response.status = evhttp_request_get_response_code(r);
          evbuffer* in = evhttp_request_get_input_buffer(r);
          size_t n = evbuffer_get_length(in);
          s->response.body.resize(n);
          evbuffer_copyout(in, s->response.body.data(), n);
          for (evkeyval* kv = evhttp_request_get_input_headers(r)->tqh_first; kv != nullptr;
               kv = kv->next.tqe_next)
            s->response.headers[kv->key] = kv->value;
        }
        event_base_loopbreak(s->base);
      },
      &state);
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Host", "127.0.0.1");
  for (const auto& [name, value] : headers) evhttp_add_header(out, name.c_str(), value.c_str());
  if (!body.empty()) evbuffer_add(evhttp_request_get_output_buffer(req), body.data(), body.size());
  evhttp_make_request(conn, req, method, path.c_str());
  event_base_dispatch(base);
  evhttp_connection_free(conn);
  return state.response;
}

}  // namespace courier::admin::testing
