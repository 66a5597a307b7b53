// JsonWriter: a small streaming JSON emitter (compact output, correct
// string escaping) for the admin /config rendering and filter configs.
// Not a general JSON library: it writes, never parses.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace courier::config {

class JsonWriter {
 public:
  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  // Inside an object, every value is preceded by exactly one key().
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view text);
  JsonWriter& boolean(bool b);
  JsonWriter& number(double d);
  JsonWriter& null();
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonWriter& integer(T v) {
    separate();
    out_ += std::to_string(v);
    return *this;
  }
  // Inserts an already-serialised JSON value (e.g. a filter's renderJson()).
  JsonWriter& raw(std::string_view json);

  // key(k).string(v) for each element, as an object / array of strings.
  JsonWriter& stringArray(const std::vector<std::string>& items);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  // One entry per open container: has it had an element yet?
  std::vector<bool> nonempty_;
  bool after_key_ = false;
};

}  // namespace courier::config
