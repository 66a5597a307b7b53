// courier: a sidecar HTTP proxy for agent services.
//
//   courier --config courier.toml        run
//   courier --check-config courier.toml  validate, print errors, exit 0/1
//   courier --version
#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "config/loader.h"
#include "filters/cache/cache_service.h"
#include "filters/registry.h"
#include "proxy/common/log.h"
#include "proxy/server/server.h"

namespace {

void usage(FILE* out) {
  std::fputs(
      "usage: courier --config FILE [--log-level debug|info|warn|error]\n"
      "       courier --check-config FILE\n"
      "       courier --version\n",
      out);
}

bool parseLevel(const char* text, courier::log::Level& level) {
  using courier::log::Level;
  static constexpr std::pair<const char*, Level> kLevels[] = {{"debug", Level::Debug},
                                                              {"info", Level::Info},
                                                              {"warn", Level::Warn},
                                                              {"error", Level::Error}};
  for (const auto& [name, value] : kLevels) {
    if (std::strcmp(text, name) == 0) {
      level = value;
      return true;
    }
  }
  return false;
}

// Client connections, upstream connections and cached bodies (one memfd
// each, see proxy/buffer/sealed_file.h) all take descriptors; many
// runtimes start with a soft limit of 1024 under a far higher hard limit.
void raiseOpenFilesLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  rlim_t was = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    LOG_WARN("could not raise the open-files limit from %llu: %s",
             static_cast<unsigned long long>(was), std::strerror(errno));
    return;
  }
  LOG_INFO("open-files limit raised from %llu to %llu", static_cast<unsigned long long>(was),
           static_cast<unsigned long long>(lim.rlim_cur));
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--version") {
      std::printf("courier %s\n", COURIER_VERSION);
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    } else if ((arg == "--config" || arg == "--check-config") && has_value) {
      config_path = argv[++i];
      check_only = arg == "--check-config";
    } else if (arg == "--log-level" && has_value) {
      courier::log::Level level;
      if (!parseLevel(argv[++i], level)) {
        std::fprintf(stderr, "courier: unknown log level '%s'\n", argv[i]);
        return 2;
      }
      courier::log::setLevel(level);
    } else {
      std::fprintf(stderr, "courier: unexpected argument '%s'\n", arg.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (config_path.empty()) {
    usage(stderr);
    return 2;
  }

  auto loaded = courier::config::loadConfigFile(config_path, courier::filters::registry());
  if (!loaded) {
    std::fputs(courier::config::formatErrors(loaded.error()).c_str(), stderr);
    return 1;
  }
  if (check_only) {
    std::printf("%s: ok\n", config_path.c_str());
    return 0;
  }
  raiseOpenFilesLimit();
  courier::filters::cache::CacheService cache_service;
  courier::server::Server server(config_path, *loaded, courier::filters::registry(),
                                 &cache_service);
  return server.run();
}
