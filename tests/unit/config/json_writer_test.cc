#include "config/json_writer.h"
#include "proxy/common/json.h"

#include <gtest/gtest.h>

namespace courier::config {
namespace {

TEST(JsonWriter, NestsAndSeparates) {
  JsonWriter w;
  w.beginObject();
  w.key("a").integer(1);
  w.key("b").beginArray().string("x").boolean(true).null().integer(-2).endArray();
  w.key("c").beginObject().endObject();
  w.key("d").stringArray({"p", "q"});
  w.key("e").raw("{\"k\":1}");
  w.key("f").number(0.1);
  w.endObject();
  EXPECT_EQ(w.str(), R"({"a":1,"b":["x",true,null,-2],"c":{},"d":["p","q"],"e":{"k":1},"f":0.1})");
}

TEST(JsonWriter, EscapesStrings) {
  std::string out;
  json::appendString(out, "q\"b\\n\n\r\t\b\f\x01\x1f\x7f \xc3\xa9");
  EXPECT_EQ(out, "\"q\\\"b\\\\n\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f \xc3\xa9\"");
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
  JsonWriter w;
  w.beginArray().number(1.0 / 0.0).number(2.5).endArray();
  EXPECT_EQ(w.str(), "[null,2.5]");
}

}  // namespace
}  // namespace courier::config
