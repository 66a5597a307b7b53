#include "filters/headers/config.h"

#include <algorithm>
#include <optional>

#include "config/json_writer.h"
#include "config/text.h"
#include "proxy/http/header_map.h"

namespace courier::filters::headers {
namespace {

enum class Direction { Request, Response };

// Why a name may not be edited here, or nullopt if it may. Hop-by-hop
// fields and framing are the codec's business: editing them would corrupt
// the connection, not the message.
std::optional<std::string> forbiddenReason(std::string_view name, Direction dir) {
  if (name.starts_with(":")) return "pseudo-header '" + std::string(name) + "' cannot be edited";
  if (http::isHopByHop(name))
    return "'" + std::string(name) + "' is a hop-by-hop header; courier manages it";
  if (name == "content-length")
    return "'content-length' describes the message framing; courier manages it";
  if (name == "host" && dir == Direction::Request)
    return "'host' cannot be edited here; use the route's host_rewrite";
  if (!config::isToken(name)) return "\"" + std::string(name) + "\" is not a valid header name";
  return std::nullopt;
}

bool alreadyListed(const HeaderEdits& edits, std::string_view name) {
  return std::find(edits.remove.begin(), edits.remove.end(), name) != edits.remove.end() ||
         std::any_of(edits.set.begin(), edits.set.end(),
                     [&](const auto& kv) { return kv.first == name; });
}

// request_add / response_add: { name = "value", ... }
void readAdd(config::ParseContext& ctx, const toml::node& node, Direction dir, HeaderEdits& out) {
  const toml::table* t = ctx.asTable(node);
  if (!t) return;
  for (auto&& [key, value] : *t) {
    std::string name = config::toLower(key.str());
    if (auto reason = forbiddenReason(name, dir)) {
      ctx.error(key, std::move(*reason));
      continue;
    }
    if (alreadyListed(out, name)) {
      // Only reachable through case: TOML itself rejects duplicate keys.
      ctx.error(key, "header '" + name + "' is listed twice");
      continue;
    }
    auto scope = ctx.enter(key.str());
    auto v = ctx.string(value);
    if (!v) continue;
    if (!config::isHeaderValue(*v)) {
      ctx.error(value, "header values cannot contain control characters (CR, LF, NUL ...)");
      continue;
    }
    out.set.emplace_back(std::move(name), std::move(*v));
  }
}

// request_remove / response_remove: ["name", ...]
void readRemove(config::ParseContext& ctx, const toml::node& node, Direction dir,
                HeaderEdits& out) {
  auto names = ctx.stringArray(node);
  if (!names) return;
  const toml::array& arr = *node.as_array();
  for (size_t i = 0; i < names->size(); ++i) {
    auto scope = ctx.enter(i);
    std::string name = config::toLower((*names)[i]);
    if (auto reason = forbiddenReason(name, dir))
      ctx.error(arr[i], std::move(*reason));
    else if (alreadyListed(out, name))
      ctx.error(arr[i], "header '" + name + "' is both added and removed, or removed twice");
    else
      out.remove.push_back(std::move(name));
  }
}

void writeEdits(config::JsonWriter& w, std::string_view prefix, const HeaderEdits& edits) {
  w.key(std::string(prefix) + "_add").beginObject();
  for (const auto& [name, value] : edits.set) w.key(name).string(value);
  w.endObject();
  w.key(std::string(prefix) + "_remove").stringArray(edits.remove);
}

}  // namespace

std::unique_ptr<http::StreamFilter> HeadersConfig::createFilter() const {
  return std::make_unique<HeadersFilter>(request_, response_);
}

std::string HeadersConfig::renderJson() const {
  config::JsonWriter w;
  w.beginObject();
  writeEdits(w, "request", request_);
  writeEdits(w, "response", response_);
  w.endObject();
  return w.take();
}

std::shared_ptr<const config::FilterConfig> parseHeadersConfig(const toml::node& node,
                                                               config::ParseContext& ctx) {
  const toml::table* t = ctx.asTable(node);
  if (!t) return nullptr;
  size_t errors_before = ctx.errorCount();
  ctx.rejectUnknownKeys(*t, {"request_add", "request_remove", "response_add", "response_remove"});
  HeaderEdits request;
  HeaderEdits response;
  // Adds before removes, so a name in both is reported at the remove.
  struct Part {
    std::string_view key;
    Direction dir;
    bool add;
  };
  for (const Part& part : {Part{"request_add", Direction::Request, true},
                           Part{"request_remove", Direction::Request, false},
                           Part{"response_add", Direction::Response, true},
                           Part{"response_remove", Direction::Response, false}}) {
    const toml::node* value = t->get(part.key);
    if (!value) continue;
    auto scope = ctx.enter(part.key);
    HeaderEdits& edits = part.dir == Direction::Request ? request : response;
    if (part.add)
      readAdd(ctx, *value, part.dir, edits);
    else
      readRemove(ctx, *value, part.dir, edits);
  }
  if (ctx.errorCount() != errors_before) return nullptr;
  return std::make_shared<const HeadersConfig>(std::move(request), std::move(response));
}

}  // namespace courier::filters::headers
