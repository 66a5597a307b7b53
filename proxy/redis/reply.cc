// redis::Reply over hiredis's redisReply, and Error names.
#include <hiredis/hiredis.h>

#include "proxy/redis/client.h"

namespace courier::redis {

std::string_view errorName(Error e) {
  switch (e) {
    case Error::Disconnected:
      return "disconnected";
    case Error::Timeout:
      return "timeout";
    case Error::Overloaded:
      return "overloaded";
    case Error::Reply:
      return "reply";
  }
  return "unknown";
}

bool Reply::isError() const {
  return r_->type == REDIS_REPLY_ERROR;
}
bool Reply::isNil() const {
  return r_->type == REDIS_REPLY_NIL;
}
bool Reply::isInteger() const {
  return r_->type == REDIS_REPLY_INTEGER;
}
bool Reply::isString() const {
  return r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS;
}
bool Reply::isArray() const {
  return r_->type == REDIS_REPLY_ARRAY;
}
int64_t Reply::integer() const {
  return isInteger() ? r_->integer : 0;
}
std::string_view Reply::string() const {
  if (isString() || isError()) return {r_->str, r_->len};
  return {};
}
size_t Reply::size() const {
  return isArray() ? r_->elements : 0;
}
Reply Reply::element(size_t i) const {
  return Reply(r_->element[i]);
}

}  // namespace courier::redis
