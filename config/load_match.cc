#include <re2/re2.h>

#include <algorithm>

#include "config/load_sections.h"
#include "config/text.h"

namespace courier::config {
namespace {

// RE2 reports the offending fragment, not an offset; finding the fragment
// in the pattern is exact for the syntax errors operators make (unbalanced
// parentheses, bad repetition, bad escapes).
std::shared_ptr<const re2::RE2> compileRegex(ParseContext& ctx, const toml::node& node,
                                             const std::string& pattern) {
  re2::RE2::Options options;
  options.set_log_errors(false);  // we report it, with a position
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (re->ok()) return re;
  size_t offset = re->error_arg().empty() ? 0 : pattern.find(re->error_arg());
  std::string message = "invalid regex: " + re->error();
  if (offset == std::string::npos)
    ctx.error(node, std::move(message));
  else
    ctx.errorInString(node, offset, std::move(message));
  return nullptr;
}

// Hosts are matched lower-case against the request's authority without its
// port: an exact name or a "*.suffix" wildcard (which needs at least one
// more label: "*.example.com" does not match "example.com").
std::optional<std::string> readHost(ParseContext& ctx, const toml::node& node) {
  auto host = ctx.nonEmptyString(node);
  if (!host) return std::nullopt;
  std::string h = toLower(*host);
  std::string_view name = h;
  if (name == "*") {
    ctx.error(node, "\"*\" would match every host; leave the host out instead");
    return std::nullopt;
  }
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.find('*') != std::string_view::npos) {
    ctx.error(node, "a wildcard is only allowed as a leading \"*.\", like \"*.example.com\"");
    return std::nullopt;
  }
  bool bracketed = name.size() > 2 && name.front() == '[' && name.back() == ']';
  if (!bracketed && name.find(':') != std::string_view::npos) {
    ctx.error(node, "a host match must not include a port (hosts are matched without it)");
    return std::nullopt;
  }
  if (!bracketed && !isHostName(name)) {
    ctx.error(node, "\"" + *host + "\" is not a valid host name");
    return std::nullopt;
  }
  return h;
}

void readHosts(ParseContext& ctx, const toml::table& t, RouteMatch& match) {
  if (const toml::node* node = t.get("host")) {
    auto scope = ctx.enter("host");
    if (auto h = readHost(ctx, *node)) match.hosts.push_back(std::move(*h));
  }
  if (const toml::node* node = t.get("hosts")) {
    auto scope = ctx.enter("hosts");
    if (t.get("host")) {
      ctx.error(*node, "use either host or hosts, not both");
      return;
    }
    const toml::array* arr = ctx.asArray(*node);
    if (!arr) return;
    if (arr->empty()) ctx.error(*node, "must not be empty (leave hosts out to match any host)");
    for (size_t i = 0; i < arr->size(); ++i) {
      auto item_scope = ctx.enter(i);
      if (auto h = readHost(ctx, (*arr)[i])) match.hosts.push_back(std::move(*h));
    }
  }
}

void readPath(ParseContext& ctx, const toml::table& t, RouteMatch& match) {
  const toml::node* first = nullptr;
  for (std::string_view key : {"path", "prefix", "regex"}) {
    const toml::node* node = t.get(key);
    if (!node) continue;
    auto scope = ctx.enter(key);
    // Two of them would be ambiguous (both must match? either?); say so.
    if (first) {
      ctx.error(*node, "use only one of path, prefix and regex");
      continue;
    }
    first = node;
    auto text = ctx.nonEmptyString(*node);
    if (!text) continue;
    if (key == "regex") {
      match.regex = compileRegex(ctx, *node, *text);
      match.regex_text = std::move(*text);
      continue;
    }
    if (text->front() != '/') {
      ctx.error(*node, "must start with \"/\"");
      continue;
    }
    (key == "path" ? match.path : match.prefix) = std::move(*text);
  }
}

void readMethods(ParseContext& ctx, const toml::table& t, RouteMatch& match) {
  const toml::node* node = t.get("methods");
  if (!node) return;
  auto scope = ctx.enter("methods");
  auto methods = ctx.stringArray(*node, /*allow_empty=*/false);
  if (!methods) return;
  const toml::array& arr = *node->as_array();
  for (size_t i = 0; i < methods->size(); ++i) {
    auto item_scope = ctx.enter(i);
    // Methods are case-sensitive on the wire, but "post" in a config can
    // only mean POST.
    std::string m = toUpper((*methods)[i]);
    if (!isToken(m))
      ctx.error(arr[i], "\"" + (*methods)[i] + "\" is not a valid method");
    else if (std::find(match.methods.begin(), match.methods.end(), m) != match.methods.end())
      ctx.error(arr[i], "method " + m + " is listed twice");
    else
      match.methods.push_back(std::move(m));
  }
}

// A header name usable in a matcher (errors at `at`, a key or a node).
template <typename At>
std::optional<std::string> readHeaderName(ParseContext& ctx, const At& at, std::string_view name) {
  if (name.starts_with(":")) {
    ctx.error(at, "pseudo-headers cannot be matched here; use match.host, path or methods");
    return std::nullopt;
  }
  std::string lower = toLower(name);
  if (lower == "host") {
    ctx.error(at, "match the host with match.host, not a header matcher");
    return std::nullopt;
  }
  if (!isToken(lower)) {
    ctx.error(at, "\"" + std::string(name) + "\" is not a valid header name");
    return std::nullopt;
  }
  return lower;
}

// headers = [ { name = "x", exact = "v" | regex = "..." | present = bool } ]
void readHeaderMatcher(ParseContext& ctx, const toml::node& node, RouteMatch& match) {
  const toml::table* t = ctx.asTable(node);
  if (!t) return;
  ctx.rejectUnknownKeys(*t, {"name", "exact", "regex", "present"});
  HeaderMatcher m;
  if (const toml::node* name_node = ctx.require(*t, "name")) {
    auto scope = ctx.enter("name");
    auto name = ctx.nonEmptyString(*name_node);
    if (!name) return;
    auto lower = readHeaderName(ctx, *name_node, *name);
    if (!lower) return;
    m.name = std::move(*lower);
  } else {
    return;
  }
  int conditions = 0;
  for (std::string_view key : {"exact", "regex", "present"}) {
    const toml::node* value = t->get(key);
    if (!value) continue;
    auto scope = ctx.enter(key);
    if (++conditions > 1) {
      ctx.error(*value, "use only one of exact, regex and present");
      continue;
    }
    if (key == "exact") {
      if (auto s = ctx.string(*value)) m.exact = std::move(*s);
    } else if (key == "regex") {
      if (auto s = ctx.nonEmptyString(*value)) m.regex = compileRegex(ctx, *value, *s);
    } else if (auto b = ctx.boolean(*value)) {
      m.present = *b;
    }
  }
  // With no condition the header just has to be there.
  match.headers.push_back(std::move(m));
}

void readHeaders(ParseContext& ctx, const toml::table& t, RouteMatch& match) {
  const toml::node* node = t.get("headers");
  if (!node) return;
  auto scope = ctx.enter("headers");
  if (const toml::table* exact = node->as_table()) {
    // headers = { "x-tenant" = "acme" }: exact values.
    for (auto&& [key, value] : *exact) {
      auto name = readHeaderName(ctx, key, key.str());
      auto item_scope = ctx.enter(key.str());
      auto v = ctx.string(value);
      if (!name || !v) continue;
      HeaderMatcher m;
      m.name = std::move(*name);
      m.exact = std::move(*v);
      match.headers.push_back(std::move(m));
    }
    return;
  }
  const toml::array* arr = node->as_array();
  if (!arr) {
    ctx.error(*node,
              "expected a table of exact values ({ name = \"value\" }) or an array of "
              "matchers ([{ name = \"...\", regex = \"...\" }]), got " +
                  std::string(describeType(*node)));
    return;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    auto item_scope = ctx.enter(i);
    readHeaderMatcher(ctx, (*arr)[i], match);
  }
}

}  // namespace

void loadRouteMatch(ParseContext& ctx, const toml::node& node, RouteMatch& match) {
  const toml::table* t = ctx.asTable(node);
  if (!t) return;
  ctx.rejectUnknownKeys(*t, {"host", "hosts", "path", "prefix", "regex", "methods", "headers"});
  readHosts(ctx, *t, match);
  readPath(ctx, *t, match);
  readMethods(ctx, *t, match);
  readHeaders(ctx, *t, match);
}

}  // namespace courier::config
