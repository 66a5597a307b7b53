// CachePurger: what POST /cache/purge calls. The cache (filters/cache)
// implements it; main.cc hands it to the Server, so proxy/ never links
// filters/. Main thread only.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace courier::admin {

class CachePurger {
 public:
  virtual ~CachePurger() = default;
  // Purges what the JSON `body` names; calls `done(status, json_body)`
  // exactly once on the main thread, possibly later (Redis answers
  // asynchronously). `done` must be safe to call after the admin client
  // went away.
  using Done = std::function<void(int status, std::string body)>;
  virtual void purge(std::string_view body, Done done) = 0;
};

}  // namespace courier::admin
