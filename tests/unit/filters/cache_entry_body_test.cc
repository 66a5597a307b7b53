// Where a cached body lives when sealed files run out: past the descriptor
// budget (half the open-files limit) EntryBody::forCache keeps the bytes on
// the heap, whole and unchanged, and files come back as others close.
//
// Runs in a fresh child process (a "threadsafe" death test re-runs the
// binary for this test alone), so the budget is computed from the low
// limit set there and other tests' descriptors do not count.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "filters/cache/entry_body.h"

namespace courier::filters::cache {
namespace {

// Exits 0 if every expectation held, else prints the first failure and exits 1.
[[noreturn]] void runBudgetScenario() {
  auto fail = [](const char* what) {
    std::fprintf(stderr, "budget scenario: %s\n", what);
    std::exit(1);
  };
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) fail("getrlimit");
  lim.rlim_cur = 64;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) fail("setrlimit");
  if (SealedFile::budget() != 32) fail("budget is not half of 64");

  const std::string body(kFileBodyMinBytes + 100, 'x');
  std::vector<EntryBody> held;
  for (int i = 0; i < 32; ++i) {
    held.push_back(EntryBody::forCache(body));
    if (!held.back().file()) fail("a body within the budget did not get a file");
  }
  if (SealedFile::openCount() != 32) fail("open count is not 32");
  EntryBody over = EntryBody::forCache(body);
  if (over.file()) fail("a body past the budget got a file");
  if (over.view() != body) fail("the heap body differs from the bytes given");
  if (over.residentBytes() != body.size()) fail("a heap body is not charged its size");

  held.pop_back();  // one file closes: the next large body gets it
  EntryBody again = EntryBody::forCache(body);
  if (!again.file() || again.view() != body) fail("no file after one was released");
  std::exit(0);
}

TEST(EntryBodyDeathTest, PastTheDescriptorBudgetBodiesStayOnTheHeap) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(runBudgetScenario(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace courier::filters::cache
