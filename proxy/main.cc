// Placeholder until the server lands.
#include <cstdio>
int main() {
  std::puts("courier " COURIER_VERSION);
  return 0;
}
