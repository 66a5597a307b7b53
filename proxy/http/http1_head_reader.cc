#include "proxy/http/http1_head_reader.h"

#include <algorithm>

namespace courier::http1 {

HeadReader::State HeadReader::read(evbuffer* in, size_t max_bytes, bool skip_leading_crlf) {
  if (skip_leading_crlf && searched_ == 0) {
    // At most a few empty lines are tolerated; more are garbage the parser rejects.
    for (int i = 0; i < 4; ++i) {
      unsigned char two[2];
      if (evbuffer_copyout(in, two, 2) != 2 || two[0] != '\r' || two[1] != '\n') break;
      evbuffer_drain(in, 2);
    }
  }
  size_t available = evbuffer_get_length(in);
  if (available < 4) return State::Incomplete;
  evbuffer_ptr start;
  evbuffer_ptr_set(in, &start, searched_ > 3 ? searched_ - 3 : 0, EVBUFFER_PTR_SET);
  evbuffer_ptr found = evbuffer_search(in, "\r\n\r\n", 4, &start);
  if (found.pos < 0) {
    searched_ = available;
    return available > max_bytes ? State::TooLarge : State::Incomplete;
  }
  size_t head = static_cast<size_t>(found.pos) + 4;
  if (head > max_bytes) return State::TooLarge;
  storage_ = std::make_unique_for_overwrite<char[]>(head);  // no zeroing
  evbuffer_remove(in, storage_.get(), head);
  length_ = head;
  searched_ = 0;
  return State::Complete;
}

}  // namespace courier::http1
