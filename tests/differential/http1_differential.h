// Differential testing of courier's HTTP/1.1 parser against libhttp-parser
// (the node.js parser, as packaged by Debian). Both parse the same bytes into
// an Outcome; the test then checks that they agree wherever both accept and
// that courier is the stricter one wherever they disagree.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace courier::http1::diff {

enum class Kind { Request, Response };

struct Case {
  std::string name;
  Kind kind = Kind::Request;
  std::string bytes;
  int expect = 0;                      // courier's verdict: 0 accept, -1 incomplete, else status
  std::string request_method = "GET";  // responses: the method of the request answered
};

enum class Verdict { Accept, Reject, Incomplete };

using Fields = std::vector<std::pair<std::string, std::string>>;

// One parse of the first message in Case::bytes. Responses see end of input
// as the connection closing (so read-until-close bodies can end).
struct Outcome {
  Verdict verdict = Verdict::Incomplete;
  std::string error;  // ours: "<status> <reason>"; theirs: the http_errno name
  int status = 0;     // ours: the ParseError status when rejected
  std::string method;
  std::string target;
  int response_status = 0;
  std::string reason;
  int minor = -1;
  Fields headers;  // names lower-cased, values without surrounding OWS
  Fields trailers;
  std::string body;
  size_t end = 0;  // offset just past the message
  bool head_complete = false;
};

Outcome runCourier(const Case& c);
Outcome runHttpParser(const Case& c);

// Empty when two accepted outcomes describe the same message; else what differs.
std::string compareAccepted(const Outcome& ours, const Outcome& theirs);

// Is `method` one of libhttp-parser's built-in methods?
bool httpParserKnowsMethod(std::string_view method);

std::string_view verdictName(Verdict v);
std::string escape(std::string_view bytes, size_t max = 200);

const std::vector<Case>& corpus();

// Corpus cases where the verdicts legitimately differ, each with its reason.
struct ExpectedDifference {
  const char* name;
  const char* reason;
};
const std::vector<ExpectedDifference>& expectedDifferences();

}  // namespace courier::http1::diff
