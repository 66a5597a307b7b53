// scriptSha1: the name EVALSHA knows a script by.
#include <openssl/evp.h>

#include "proxy/redis/client.h"

namespace courier::redis {

std::string scriptSha1(std::string_view script) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(script.data(), script.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace courier::redis
