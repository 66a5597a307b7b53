#include "filters/cache/entry_body.h"

namespace courier::filters::cache {

EntryBody EntryBody::forCache(const std::string_view* parts, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += parts[i].size();
  EntryBody body;
  if (total >= kFileBodyMinBytes && (body.file_ = SealedFile::create(parts, count))) return body;
  body.heap_.reserve(total);
  for (size_t i = 0; i < count; ++i) body.heap_ += parts[i];
  return body;
}

}  // namespace courier::filters::cache
