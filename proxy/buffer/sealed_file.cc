#include "proxy/buffer/sealed_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "proxy/common/log.h"

namespace courier {
namespace {

std::atomic<size_t> g_open{0};

// Says once why bodies stay on the heap; a failing kernel call would fail
// the same way for every entry.
void warnOnce(const char* what, int err) {
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true))
    LOG_WARN("%s failed (%s): large cached bodies stay on the heap and are copied when sent", what,
             std::strerror(err));
}

// Writes every part to `fd`, coping with short writes.
bool writeAll(int fd, const std::string_view* parts, size_t count) {
  std::vector<iovec> iov;
  iov.reserve(count);
  for (size_t i = 0; i < count; ++i)
    if (!parts[i].empty()) iov.push_back({const_cast<char*>(parts[i].data()), parts[i].size()});
  size_t first = 0;
  while (first < iov.size()) {
    int n = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t wrote = ::writev(fd, iov.data() + first, n);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<size_t>(wrote);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return true;
}

}  // namespace

size_t SealedFile::budget() {
  static const size_t kBudget = [] {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
      return size_t{1} << 20;
    return static_cast<size_t>(lim.rlim_cur / 2);
  }();
  return kBudget;
}

size_t SealedFile::openCount() {
  return g_open.load(std::memory_order_relaxed);
}

std::shared_ptr<const SealedFile> SealedFile::create(const std::string_view* parts, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += parts[i].size();
  if (total == 0) return nullptr;  // nothing to map
  if (g_open.fetch_add(1, std::memory_order_relaxed) >= budget()) {
    g_open.fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  int fd = ::memfd_create("courier-cache", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    warnOnce("memfd_create", errno);
    g_open.fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  void* map = MAP_FAILED;
  const char* failed = nullptr;
  if (!writeAll(fd, parts, count)) {
    failed = "writing a memfd";
  } else if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) !=
             0) {
    failed = "sealing a memfd";
  } else if ((map = ::mmap(nullptr, total, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
    failed = "mapping a memfd";
  }
  if (failed) {
    warnOnce(failed, errno);
    ::close(fd);
    g_open.fetch_sub(1, std::memory_order_relaxed);
    return nullptr;
  }
  return std::shared_ptr<const SealedFile>(
      new SealedFile(fd, static_cast<const char*>(map), total));
}

SealedFile::~SealedFile() {
  ::munmap(const_cast<char*>(data_), size_);
  ::close(fd_);
  g_open.fetch_sub(1, std::memory_order_relaxed);
}

size_t SealedFile::residentBytes() const {
  static const size_t kPage = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return (size_ + kPage - 1) / kPage * kPage;
}

}  // namespace courier
