// Agreement between courier's parser and libhttp-parser: on the corpus
// (every difference listed with a reason) and on seeded random mutants.
#include <gtest/gtest.h>

#include <cstdio>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>

#include "tests/differential/http1_differential.h"

namespace courier::http1::diff {
namespace {

using namespace std::string_literals;

const ExpectedDifference* findExpected(const std::string& name) {
  for (const auto& e : expectedDifferences())
    if (name == e.name) return &e;
  return nullptr;
}

std::string describe(const Case& c, const Outcome& ours, const Outcome& theirs) {
  return c.name + ": courier " + std::string(verdictName(ours.verdict)) + " " + ours.error +
         ", http_parser " + std::string(verdictName(theirs.verdict)) + " " + theirs.error +
         "\n  bytes: " + escape(c.bytes);
}

int verdictCode(const Outcome& o) {
  if (o.verdict == Verdict::Accept) return 0;
  if (o.verdict == Verdict::Incomplete) return -1;
  return o.status;
}

TEST(Http1Differential, CorpusIsLargeAndNamesAreUnique) {
  std::set<std::string> names;
  for (const auto& c : corpus()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
  EXPECT_GE(corpus().size(), 100u);
  for (const auto& e : expectedDifferences()) {
    EXPECT_TRUE(names.count(e.name)) << "expected difference for unknown case " << e.name;
    EXPECT_GT(std::string(e.reason).size(), 10u) << e.name;
  }
}

TEST(Http1Differential, CourierVerdictsMatchTheCorpus) {
  for (const auto& c : corpus()) {
    Outcome ours = runCourier(c);
    EXPECT_EQ(verdictCode(ours), c.expect) << c.name << " " << ours.error;
  }
}

TEST(Http1Differential, CorpusAgreesOrCourierIsStricter) {
  int agreed = 0, both_accepted = 0;
  for (const auto& c : corpus()) {
    Outcome ours = runCourier(c);
    Outcome theirs = runHttpParser(c);
    const ExpectedDifference* expected = findExpected(c.name);
    if (ours.verdict == theirs.verdict) {
      EXPECT_EQ(expected, nullptr)
          << "listed as a difference but both " << verdictName(ours.verdict) << ": " << c.name;
      if (ours.verdict == Verdict::Accept) {
        ++both_accepted;
        EXPECT_EQ(compareAccepted(ours, theirs), "") << c.name;
      }
      ++agreed;
      continue;
    }
    EXPECT_NE(expected, nullptr) << "unlisted difference: " << describe(c, ours, theirs);
    EXPECT_EQ(ours.verdict, Verdict::Reject)
        << "courier must be the stricter one: " << describe(c, ours, theirs);
  }
  RecordProperty("agreed", agreed);
  RecordProperty("both_accepted", both_accepted);
  EXPECT_GT(both_accepted, 40);
}

// Byte-level mutations biased towards what parsers disagree on.
class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  std::string mutate(std::string s) {
    int rounds = 1 + pick(3);
    for (int i = 0; i < rounds; ++i) mutateOnce(s);
    return s;
  }
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

 private:
  char interesting() {
    static const std::string kBytes =
        "\r\n \t\0:;,=\"\\0123456789aAfFxX-+#/?*\x7f\x80\xff\x01\x0b"s;
    return kBytes[pick(kBytes.size())];
  }
  size_t lineStart(const std::string& s) {
    std::vector<size_t> starts = {0};
    for (size_t i = 0; i + 1 < s.size(); ++i)
      if (s[i] == '\n') starts.push_back(i + 1);
    return starts[pick(starts.size())];
  }
  void mutateOnce(std::string& s) {
    static const char* kLines[] = {"Content-Length: 3\r\n",
                                   "Transfer-Encoding: chunked\r\n",
                                   "Content-Length: 0\r\n",
                                   " folded\r\n",
                                   "Transfer-Encoding: gzip\r\n",
                                   "X: y\r\n",
                                   "\r\n",
                                   "0\r\n\r\n",
                                   "3\r\nabc\r\n"};
    if (s.empty()) s = "x";
    size_t pos = pick(s.size());
    switch (pick(7)) {
      case 0:
        s[pos] = interesting();
        break;
      case 1:
        s.insert(s.begin() + static_cast<long>(pos), interesting());
        break;
      case 2:
        s.erase(pos, 1 + pick(3));
        break;
      case 3:
        s.resize(pos);
        break;
      case 4:
        s[pos] = static_cast<char>(s[pos] ^ 0x20);  // flip case (and more)
        break;
      case 5:
        s.insert(lineStart(s), kLines[pick(std::size(kLines))]);
        break;
      default: {  // duplicate a line
        size_t start = lineStart(s);
        size_t end = s.find('\n', start);
        if (end != std::string::npos) s.insert(start, s.substr(start, end + 1 - start));
      }
    }
  }

  std::mt19937 rng_;
};

// Where libhttp-parser refuses what courier accepts or has not finished
// reading, by design. Returns the category, or nullptr for a real finding.
const char* knownLaxity(const Case& c, const Outcome& ours, const Outcome& theirs) {
  if (c.kind == Kind::Request && theirs.error == "HPE_INVALID_METHOD") {
    // RFC 9110 §9.1: methods are extensible tokens; http_parser hard-codes
    // its list. Only tokens it does not know may differ.
    std::string method = c.bytes.substr(c.bytes.find_first_not_of("\r\n") == std::string::npos
                                            ? 0
                                            : c.bytes.find_first_not_of("\r\n"));
    method = method.substr(0, method.find(' '));
    if (!httpParserKnowsMethod(method)) return "extension method";
  }
  if (theirs.error == "HPE_INVALID_TRANSFER_ENCODING") {
    // libhttp-parser 2.9.4 flags any field whose name merely starts with
    // "transfer-encoding" (e.g. "Transfer-Encoding-") as Transfer-Encoding.
    for (const auto& [name, value] : ours.headers)
      if (name.size() > 17 && name.compare(0, 17, "transfer-encoding") == 0)
        return "http_parser field-name prefix match";
  }
  return nullptr;
}

// Ends the line (and head or trailer section) an incomplete mutant stopped
// in, and asks courier again.
bool rejectsOnceComplete(const Case& c) {
  Case completed = c;
  completed.bytes += !c.bytes.empty() && c.bytes.back() == '\r' ? "\n\r\n" : "\r\n\r\n";
  return runCourier(completed).verdict == Verdict::Reject;
}

TEST(Http1Differential, RandomMutantsAgreeOrCourierIsStricter) {
  Mutator mutator(20261122);
  const auto& base = corpus();
  std::map<std::string, int> counts;
  int failures = 0;
  for (int i = 0; i < 5000; ++i) {
    const Case& from = base[mutator.pick(base.size())];
    Case c = from;
    c.name = "mutant " + std::to_string(i) + " of " + from.name;
    c.bytes = mutator.mutate(from.bytes);
    Outcome ours = runCourier(c);
    Outcome theirs = runHttpParser(c);
    std::string key =
        std::string(verdictName(ours.verdict)) + "/" + std::string(verdictName(theirs.verdict));
    if (ours.verdict == Verdict::Accept && theirs.verdict == Verdict::Accept) {
      std::string diff = compareAccepted(ours, theirs);
      if (!diff.empty() && failures++ < 20)
        ADD_FAILURE() << "both accept but differ (" << diff << ")\n" << describe(c, ours, theirs);
    } else if (ours.verdict == Verdict::Incomplete && theirs.verdict != Verdict::Incomplete &&
               rejectsOnceComplete(c)) {
      // courier judges a head, chunk-size line or trailer section once it is
      // whole (nothing of it is acted on before); http_parser fails at the
      // first bad byte, or took a bare CR as a line end and accepted.
      key += " (courier rejects the completed line)";
    } else if (ours.verdict != theirs.verdict && ours.verdict != Verdict::Reject) {
      const char* category = knownLaxity(c, ours, theirs);
      if (category == nullptr) {
        if (failures++ < 20) ADD_FAILURE() << "courier is laxer: " << describe(c, ours, theirs);
      } else {
        key += " (" + std::string(category) + ")";
      }
    }
    ++counts[key];
  }
  std::string summary;
  for (const auto& [key, n] : counts) summary += "  " + key + ": " + std::to_string(n) + "\n";
  std::printf("courier/http_parser verdicts over 5000 mutants:\n%s", summary.c_str());
  EXPECT_EQ(failures, 0);
  EXPECT_GT(counts["accept/accept"], 300) << "mutants should still exercise the accept path";
}

}  // namespace
}  // namespace courier::http1::diff
