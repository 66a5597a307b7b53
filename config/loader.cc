#include "config/loader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "config/load_sections.h"

namespace courier::config {
namespace {

// Config files are hand-written; anything this large is a mistake (or not
// a config file at all), and reading it whole would be wasteful.
constexpr size_t kMaxConfigBytes = 16u << 20;

LoadResult failure(std::vector<ConfigError> errors) {
  return LoadResult::failure(std::move(errors));
}

LoadResult fileError(std::string_view path, std::string message) {
  return failure({ConfigError{std::string(path), 0, 0, "", std::move(message)}});
}

}  // namespace

std::string ConfigError::format() const {
  std::string out = file;
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
  }
  out += ": ";
  if (!key_path.empty()) out += key_path + ": ";
  out += message;
  return out;
}

std::string formatErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.format() + "\n";
  return out;
}

LoadResult loadConfigFile(const std::string& path, std::span<const FilterFactory> filters) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) return fileError(path, std::string("cannot open: ") + strerror(errno));
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxConfigBytes) break;
  }
  int read_errno = ferror(f) ? errno : 0;
  fclose(f);
  if (read_errno != 0) return fileError(path, std::string("cannot read: ") + strerror(read_errno));
  if (text.size() > kMaxConfigBytes)
    return fileError(path, "file is larger than " + std::to_string(kMaxConfigBytes >> 20) +
                               " MiB; is this really a config file?");
  return loadConfigString(text, path, filters);
}

LoadResult loadConfigString(std::string_view text, std::string_view path_for_errors,
                            std::span<const FilterFactory> filters) {
  // `parsed` owns the document; every node read below is a reference into
  // it, which is what keeps source positions intact.
  toml::parse_result parsed = toml::parse(text, path_for_errors);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return failure(
        {ConfigError{std::string(path_for_errors), static_cast<int>(e.source().begin.line),
                     static_cast<int>(e.source().begin.column), "", std::string(e.description())}});
  }
  const toml::table& root = parsed.table();
  ParseContext ctx(path_for_errors, text);
  ctx.rejectUnknownKeys(root, {"server", "redis", "cache", "clusters", "routes"}, {"compression"});

  auto config = std::make_shared<Config>();
  config->source_path = std::string(path_for_errors);
  config->source_text = std::string(text);
  loadServer(ctx, root, config->server);
  loadRedis(ctx, root, config->redis);
  // Filters that need Redis (scope = "redis" limits) check this.
  ctx.setRedisConfigured(config->redis.has_value() || root.get("redis") != nullptr);
  loadCache(ctx, root, config->cache);
  ctx.setCacheSettings(config->cache);
  loadClusters(ctx, root, config->clusters);
  loadRoutes(ctx, root, filters, *config);

  if (ctx.hasErrors()) return failure(ctx.takeErrors());
  return std::shared_ptr<const Config>(std::move(config));
}

}  // namespace courier::config
