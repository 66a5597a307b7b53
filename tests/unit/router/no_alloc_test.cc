// RouteTable::match() must not allocate: count operator new calls made on
// this thread while matching.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "proxy/router/route_table.h"
#include "tests/unit/router/route_fixture.h"

namespace {
thread_local bool g_counting = false;
thread_local size_t g_allocations = 0;
}  // namespace

// Replacing the global operators makes GCC 12 at -O3 pair inlined
// new/free wrongly (-Wmismatched-new-delete false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(size_t size) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace courier::router {
namespace {

using namespace testing;

TEST(RouteTableNoAlloc, MatchDoesNotAllocate) {
  config::Config c;
  config::RouteMatch hosts = prefix("/");
  hosts.hosts = {"*.example.org", "api.example.org"};
  addRoute(c, "hosts", hosts);
  config::RouteMatch headers = prefix("/");
  headers.headers = {headerRegex("x-version", "v[0-9]+"), headerPresent("x-debug", false)};
  addRoute(c, "headers", headers);
  config::RouteMatch re;
  re.regex = regex("/v1/models/[a-z0-9-]+");
  addRoute(c, "regex", re);
  addRoute(c, "default", prefix("/"));
  RouteTable table(c);

  auto req = request("GET", "/v1/models/abc?x=1", "www.example.com:8080");
  req.headers.add("x-version", "v2-beta");
  // Warm up RE2's lazily built DFA states: that one-off work may allocate.
  for (int i = 0; i < 3; ++i) ASSERT_NE(table.match(req), nullptr);

  // The counter itself works.
  g_allocations = 0;
  g_counting = true;
  // A direct call: unlike a new-expression, the optimiser may not elide it.
  void* probe = ::operator new(sizeof(int));
  g_counting = false;
  ::operator delete(probe);
  ASSERT_EQ(g_allocations, 1u);

  g_allocations = 0;
  g_counting = true;
  const config::RouteConfig* route = nullptr;
  for (int i = 0; i < 100; ++i) route = table.match(req);
  g_counting = false;
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->name, "regex");
  EXPECT_EQ(g_allocations, 0u);
}

}  // namespace
}  // namespace courier::router
