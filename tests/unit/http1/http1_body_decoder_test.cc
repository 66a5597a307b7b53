// BodyDecoder: Content-Length, chunked (sizes, extensions, CRLFs, trailers)
// and read-until-close bodies, fed whole and in small contiguous pieces.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "proxy/http/http1_parser.h"

namespace courier::http1 {
namespace {

using namespace std::string_literals;

struct Decoded {
  BodyStep::Kind end = BodyStep::NeedMore;  // Done, Error, or NeedMore when the input ran out
  std::string body;
  size_t consumed = 0;
  std::vector<std::pair<std::string, std::string>> trailers;
  size_t trailer_bytes = 0;
  ParseError error;
  std::vector<BodyStep::Kind> steps;
};

// Runs a decoder over `input` the way a connection does: all of it is
// available, but only `contiguous` bytes at a time are visible unless the
// decoder asks for more (NeedMore with len < available means "pull up").
Decoded decode(std::string input, BodyFraming framing, size_t contiguous = SIZE_MAX,
               size_t max_trailer_bytes = 65536) {
  BodyDecoder decoder(framing, max_trailer_bytes);
  Decoded out;
  size_t window = contiguous;
  for (int guard = 0; guard < 100000; ++guard) {
    size_t available = input.size() - out.consumed;
    size_t len = window < available ? window : available;
    BodyStep step = decoder.next(input.data() + out.consumed, len, available);
    out.steps.push_back(step.kind);
    switch (step.kind) {
      case BodyStep::Data:
        EXPECT_GT(step.length, 0u);
        EXPECT_LE(step.length, available);
        out.body.append(input, out.consumed, step.length);
        out.consumed += step.length;
        window = contiguous;
        break;
      case BodyStep::Skip:
      case BodyStep::Trailers:
        EXPECT_GT(step.length, 0u);
        EXPECT_LE(step.length, len);
        for (const auto& f : step.trailers) out.trailers.emplace_back(f.name, f.value);
        if (step.kind == BodyStep::Trailers) out.trailer_bytes = step.length;
        out.consumed += step.length;
        window = contiguous;
        break;
      case BodyStep::NeedMore:
        if (len < available) {
          window = available;
          break;
        }
        out.end = BodyStep::NeedMore;
        return out;
      case BodyStep::Done:
      case BodyStep::Error:
        out.end = step.kind;
        out.error = step.error;
        return out;
    }
  }
  ADD_FAILURE() << "decoder made no progress";
  return out;
}

BodyFraming chunked() {
  return {BodyKind::Chunked, 0};
}
BodyFraming length(uint64_t n) {
  return {BodyKind::ContentLength, n};
}

// Decodes a chunked body whole and in 1..7-byte pieces; all must agree.
Decoded decodeChunked(const std::string& input, size_t max_trailer_bytes = 65536) {
  Decoded whole = decode(input, chunked(), SIZE_MAX, max_trailer_bytes);
  for (size_t piece = 1; piece < 8; ++piece) {
    Decoded split = decode(input, chunked(), piece, max_trailer_bytes);
    EXPECT_EQ(split.end, whole.end) << "piece " << piece;
    EXPECT_EQ(split.body, whole.body) << "piece " << piece;
    EXPECT_EQ(split.consumed, whole.consumed) << "piece " << piece;
  }
  return whole;
}

TEST(BodyDecoder, NoBody) {
  BodyDecoder none(BodyFraming{BodyKind::None, 0});
  EXPECT_TRUE(none.done());
  EXPECT_EQ(none.next(nullptr, 0, 0).kind, BodyStep::Done);
  BodyDecoder defaulted;
  EXPECT_TRUE(defaulted.done());
  BodyDecoder zero(length(0));
  EXPECT_TRUE(zero.done());
}

TEST(BodyDecoder, ContentLengthStepsUpToRemaining) {
  BodyDecoder d(length(10));
  char bytes[32] = {};
  EXPECT_EQ(d.next(bytes, 0, 0).kind, BodyStep::NeedMore);
  BodyStep s = d.next(bytes, 4, 4);
  EXPECT_EQ(s.kind, BodyStep::Data);
  EXPECT_EQ(s.length, 4u);
  EXPECT_EQ(d.remaining(), 6u);
  s = d.next(bytes, 2, 20);  // data need not be contiguous
  EXPECT_EQ(s.kind, BodyStep::Data);
  EXPECT_EQ(s.length, 6u);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.next(bytes, 10, 10).kind, BodyStep::Done);
}

TEST(BodyDecoder, ContentLengthLeavesPipelinedBytes) {
  Decoded d = decode("helloGET / HTTP/1.1\r\n\r\n", length(5));
  EXPECT_EQ(d.end, BodyStep::Done);
  EXPECT_EQ(d.body, "hello");
  EXPECT_EQ(d.consumed, 5u);
}

TEST(BodyDecoder, ChunkedSimple) {
  Decoded d = decodeChunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT");
  EXPECT_EQ(d.end, BodyStep::Done);
  EXPECT_EQ(d.body, "hello world");
  EXPECT_EQ(d.consumed, 26u);
  EXPECT_TRUE(d.trailers.empty());
  std::vector<BodyStep::Kind> expected = {BodyStep::Skip, BodyStep::Data, BodyStep::Skip,
                                          BodyStep::Skip, BodyStep::Data, BodyStep::Skip,
                                          BodyStep::Skip, BodyStep::Skip, BodyStep::Done};
  EXPECT_EQ(d.steps, expected);
}

TEST(BodyDecoder, ChunkSizeIsHex) {
  Decoded d = decodeChunked("a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0000\r\n\r\n");
  EXPECT_EQ(d.end, BodyStep::Done);
  EXPECT_EQ(d.body.size(), 21u);
  EXPECT_EQ(decodeChunked("000000000000000000000000001\r\nx\r\n0\r\n\r\n").end, BodyStep::Done);
}

TEST(BodyDecoder, InvalidChunkSizeIsError) {
  for (std::string bad : {"\r\nx\r\n"s, "g\r\n"s, "0x5\r\n"s, "-1\r\n"s, "+5\r\n"s, " 5\r\n"s,
                          "5 \r\n"s, "5 x\r\n"s, "5\t\r\n"s, "5\0\r\n"s}) {
    Decoded d = decodeChunked(bad + "hello\r\n0\r\n\r\n");
    EXPECT_EQ(d.end, BodyStep::Error) << bad;
    EXPECT_EQ(d.error.status, 400);
  }
}

TEST(BodyDecoder, ChunkSizeOverflowIsError) {
  EXPECT_EQ(decodeChunked("8000000000000000\r\n").end, BodyStep::Error);   // 2^63
  EXPECT_EQ(decodeChunked("10000000000000000\r\n").end, BodyStep::Error);  // 2^64
  EXPECT_EQ(decodeChunked("ffffffffffffffffffff\r\n").end, BodyStep::Error);
  Decoded max = decodeChunked("7fffffffffffffff\r\nabc");  // 2^63-1 is allowed
  EXPECT_EQ(max.end, BodyStep::NeedMore);
  EXPECT_EQ(max.body, "abc");
}

TEST(BodyDecoder, ChunkExtensionsAreSkipped) {
  for (std::string ext : {";a"s, ";a=b"s, ";a=b;c"s, " ;a"s, "\t; a = b "s.substr(0, 8),
                          ";a=\"quoted ; \\\" value\""s, ";a=\"caf\xc3\xa9\""s}) {
    Decoded d = decodeChunked("5" + ext + "\r\nhello\r\n0;last\r\n\r\n");
    EXPECT_EQ(d.end, BodyStep::Done) << ext;
    EXPECT_EQ(d.body, "hello") << ext;
  }
}

TEST(BodyDecoder, MalformedChunkExtensionsAreErrors) {
  for (std::string ext : {";"s, ";=b"s, ";a="s, ";a b"s, ";a=b c"s, ";a=\"open"s, ";a=\"\x01\""s,
                          ";a\x01"s, ";a=b\x7f"s, ";a="s + "\0"s, ";a=b "s, ";a "s, "x"s}) {
    Decoded d = decodeChunked("5" + ext + "\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(d.end, BodyStep::Error) << ext;
  }
}

TEST(BodyDecoder, CrlfAfterChunkDataIsStrict) {
  EXPECT_EQ(decodeChunked("5\r\nhelloX\r\n0\r\n\r\n").end, BodyStep::Error);
  EXPECT_EQ(decodeChunked("5\r\nhello\n0\r\n\r\n").end, BodyStep::Error);
  EXPECT_EQ(decodeChunked("5\r\nhello\r0\r\n\r\n").end, BodyStep::Error);
  EXPECT_EQ(decodeChunked("5\r\nhello0\r\n\r\n").end, BodyStep::Error);
  EXPECT_EQ(decodeChunked("5\r\nhello\r").end, BodyStep::NeedMore);
  EXPECT_EQ(decodeChunked("5\r\nhello").end, BodyStep::NeedMore);
}

TEST(BodyDecoder, BareLfOrCrInChunkLineIsError) {
  EXPECT_EQ(decodeChunked("5\nhello\r\n0\r\n\r\n").end, BodyStep::Error);
  EXPECT_EQ(decodeChunked("5\r\r\nhello\r\n0\r\n\r\n").end, BodyStep::Error);
  EXPECT_EQ(decodeChunked("5\r\nhello\r\n0\n\r\n").end, BodyStep::Error);
  EXPECT_EQ(decodeChunked("5\r\nhello\r\n0\r\n\n").end, BodyStep::Error);
}

TEST(BodyDecoder, LongChunkLineIsError) {
  std::string ext = ";" + std::string(1100, 'x');
  EXPECT_EQ(decodeChunked("5" + ext).end, BodyStep::Error);  // no CRLF within 1 KiB
  EXPECT_EQ(decodeChunked("5" + ext + "\r\nhello\r\n0\r\n\r\n").end, BodyStep::Error);
  EXPECT_EQ(decodeChunked("5" + ext.substr(0, 500)).end, BodyStep::NeedMore);
  std::string fits = ";" + std::string(1018, 'x');  // "5" + ext + CRLF = 1022 bytes
  EXPECT_EQ(decodeChunked("5" + fits + "\r\nhello\r\n0\r\n\r\n").end, BodyStep::Done);
}

TEST(BodyDecoder, IncompleteFramingLineNeedsMore) {
  BodyDecoder d(chunked());
  std::string in = "5;ext=1\r\nhello";
  EXPECT_EQ(d.next(in.data(), 3, in.size()).kind, BodyStep::NeedMore);  // pull up more
  BodyStep s = d.next(in.data(), in.size(), in.size());
  EXPECT_EQ(s.kind, BodyStep::Skip);
  EXPECT_EQ(s.length, 9u);
  s = d.next(in.data() + 9, 1, 5);
  EXPECT_EQ(s.kind, BodyStep::Data);
  EXPECT_EQ(s.length, 5u);
  EXPECT_EQ(d.next(nullptr, 0, 0).kind, BodyStep::NeedMore);
}

// A caller with an empty buffer passes no pointer at all.
TEST(BodyDecoder, EmptyInputWithNullData) {
  BodyDecoder d(chunked());
  EXPECT_EQ(d.next(nullptr, 0, 0).kind, BodyStep::NeedMore);  // chunk size
  std::string in = "1\r\nx";
  EXPECT_EQ(d.next(in.data(), 3, 4).kind, BodyStep::Skip);
  EXPECT_EQ(d.next(in.data() + 3, 1, 1).kind, BodyStep::Data);
  EXPECT_EQ(d.next(nullptr, 0, 0).kind, BodyStep::NeedMore);  // CRLF after data
  std::string rest = "\r\n0\r\n";
  EXPECT_EQ(d.next(rest.data(), rest.size(), rest.size()).kind, BodyStep::Skip);
  EXPECT_EQ(d.next(rest.data() + 2, 3, 3).kind, BodyStep::Skip);
  EXPECT_EQ(d.next(nullptr, 0, 0).kind, BodyStep::NeedMore);  // trailers
  ParsedRequestHead head;
  EXPECT_EQ(parseRequestHead(nullptr, 0, {}, head).state, HeadState::Incomplete);
  ParsedResponseHead res;
  EXPECT_EQ(parseResponseHead(nullptr, 0, {}, res).state, HeadState::Incomplete);
}

TEST(BodyDecoder, TrailersAreParsed) {
  std::string trailer = "X-Sum: abc \r\nServer-Timing: db;dur=53\r\n\r\n";
  Decoded d = decodeChunked("3\r\nabc\r\n0\r\n" + trailer + "next");
  EXPECT_EQ(d.end, BodyStep::Done);
  EXPECT_EQ(d.body, "abc");
  EXPECT_EQ(d.trailer_bytes, trailer.size());
  ASSERT_EQ(d.trailers.size(), 2u);
  EXPECT_EQ(d.trailers[0], std::make_pair("x-sum"s, "abc"s));
  EXPECT_EQ(d.trailers[1], std::make_pair("server-timing"s, "db;dur=53"s));
}

TEST(BodyDecoder, TrailerFieldsAreValidatedLikeHeaders) {
  for (std::string bad :
       {"X : 1\r\n\r\n"s, "X: 1\r\n folded\r\n\r\n"s, "X: a\0b\r\n\r\n"s, "X: 1\n\r\n"s,
        "X: 1\r\n\n"s, ": 1\r\n\r\n"s, "X: \x01\r\n\r\n"s, "X: a\rb\r\n\r\n"s}) {
    Decoded d = decodeChunked("0\r\n" + bad);
    EXPECT_EQ(d.end, BodyStep::Error) << bad;
    EXPECT_EQ(d.error.status, 400);
  }
}

TEST(BodyDecoder, TrailerSectionOverLimitIs431) {
  std::string trailer = "X: " + std::string(100, 'v') + "\r\n\r\n";
  Decoded big = decodeChunked("0\r\n" + trailer, 64);
  EXPECT_EQ(big.end, BodyStep::Error);
  EXPECT_EQ(big.error.status, 431);
  EXPECT_EQ(decodeChunked("0\r\n" + trailer.substr(0, 64), 64).error.status, 431);
  EXPECT_EQ(decodeChunked("0\r\n" + trailer, trailer.size()).end, BodyStep::Done);
  std::string many;
  for (int i = 0; i < 129; ++i) many += "T" + std::to_string(i) + ": v\r\n";
  Decoded too_many = decodeChunked("0\r\n" + many + "\r\n");
  EXPECT_EQ(too_many.end, BodyStep::Error);
  EXPECT_EQ(too_many.error.status, 431);
}

TEST(BodyDecoder, IncompleteTrailersNeedMore) {
  EXPECT_EQ(decodeChunked("0\r\nX: 1\r\n").end, BodyStep::NeedMore);
  EXPECT_EQ(decodeChunked("0\r\n\r").end, BodyStep::NeedMore);
  EXPECT_EQ(decodeChunked("0\r\n").end, BodyStep::NeedMore);
}

TEST(BodyDecoder, ErrorIsSticky) {
  BodyDecoder d(chunked());
  std::string in = "zz\r\n";
  EXPECT_EQ(d.next(in.data(), in.size(), in.size()).kind, BodyStep::Error);
  std::string good = "0\r\n\r\n";
  BodyStep again = d.next(good.data(), good.size(), good.size());
  EXPECT_EQ(again.kind, BodyStep::Error);
  EXPECT_EQ(again.error.status, 400);
  EXPECT_FALSE(d.done());
  EXPECT_FALSE(d.finishOnClose());
}

TEST(BodyDecoder, UntilClose) {
  BodyDecoder d(BodyFraming{BodyKind::UntilClose, 0});
  char bytes[8] = {};
  EXPECT_EQ(d.next(bytes, 0, 0).kind, BodyStep::NeedMore);
  BodyStep s = d.next(bytes, 8, 100);
  EXPECT_EQ(s.kind, BodyStep::Data);
  EXPECT_EQ(s.length, 100u);
  EXPECT_FALSE(d.done());
  EXPECT_TRUE(d.finishOnClose());
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.next(bytes, 8, 8).kind, BodyStep::Done);
}

TEST(BodyDecoder, CloseBeforeTheEndIsNotAnEnd) {
  BodyDecoder cl(length(10));
  char bytes[4] = {};
  EXPECT_EQ(cl.next(bytes, 4, 4).kind, BodyStep::Data);
  EXPECT_FALSE(cl.finishOnClose());
  BodyDecoder ch(chunked());
  EXPECT_FALSE(ch.finishOnClose());
  BodyDecoder finished(length(0));
  EXPECT_TRUE(finished.finishOnClose());
}

}  // namespace
}  // namespace courier::http1
