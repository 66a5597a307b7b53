#include "config/load_sections.h"

namespace courier::config {

void loadCache(ParseContext& ctx, const toml::table& root, CacheSettings& out) {
  const toml::node* node = root.get("cache");
  if (!node) return;
  auto scope = ctx.enter("cache");
  const toml::table* table = ctx.asTable(*node);
  if (!table) return;
  ctx.rejectUnknownKeys(*table, {"memory_bytes", "max_object_bytes"});
  // A memory layer too small to hold one object of the largest size would
  // store nothing; 64 KiB is the smallest bound that still caches.
  ctx.readSize(*table, "memory_bytes", out.memory_bytes, 64 << 10);
  ctx.readSize(*table, "max_object_bytes", out.max_object_bytes, 1);
  if (out.max_object_bytes > out.memory_bytes) {
    if (const toml::node* m = table->get("max_object_bytes")) {
      auto inner = ctx.enter("max_object_bytes");
      ctx.error(*m, "must not be larger than memory_bytes (" + std::to_string(out.memory_bytes) +
                        " bytes)");
    } else {
      out.max_object_bytes = out.memory_bytes;  // a small memory_bytes caps the default
    }
  }
}

}  // namespace courier::config
