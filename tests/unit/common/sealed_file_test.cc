// SealedFile (a sealed memfd holding immutable bytes) and Buffer's file
// bodies (Buffer::addFile / fileBody). Real kernel objects, no mocks.
#include "proxy/buffer/sealed_file.h"

#include <event2/buffer.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/buffer/buffer.h"
#include "tests/support/byte_pattern.h"

namespace courier {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

size_t pageSize() {
  return static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

// The file's contents as read through its descriptor (not the mapping).
std::string readFd(int fd, size_t size) {
  std::string s(size, '\0');
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, s.data() + got, size - got, static_cast<off_t>(got));
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  s.resize(got);
  return s;
}

// Index of the first differing byte, or npos (keeps failure output short).
size_t firstDifference(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return i;
  return a.size() == b.size() ? std::string_view::npos : n;
}

// ---- SealedFile ----

TEST(SealedFileTest, HoldsPartsJoinedInOrderIncludingEmptyOnes) {
  std::string_view parts[] = {"", "alpha", "", "-beta-", "", "", "gamma", ""};
  auto file = SealedFile::create(parts, std::size(parts));
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->bytes(), "alpha-beta-gamma");
  EXPECT_EQ(file->size(), 16u);
  EXPECT_EQ(readFd(file->fd(), 64), "alpha-beta-gamma") << "the descriptor holds other bytes";
  EXPECT_EQ(file->residentBytes(), pageSize());
}

TEST(SealedFileTest, SingleViewOverload) {
  auto file = SealedFile::create(std::string_view("just one part"));
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->bytes(), "just one part");
  EXPECT_EQ(file->size(), 13u);
}

TEST(SealedFileTest, MultiMiBBodyIsByteExact) {
  const std::string body = test::nonRepeatingBytes(5 * kMiB + 321, 0x9E3779B97F4A7C15ULL);
  // Uneven cuts, with empty parts between, at and around page boundaries.
  std::vector<std::string_view> parts;
  std::string_view rest = body;
  for (size_t cut : {size_t{0}, size_t{1}, kMiB + 7, size_t{0}, pageSize() - 1, size_t{3},
                     2 * kMiB + 4093, size_t{0}}) {
    parts.push_back(rest.substr(0, cut));
    rest.remove_prefix(cut);
  }
  parts.push_back(rest);
  parts.push_back({});

  auto file = SealedFile::create(parts.data(), parts.size());
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(file->size(), body.size());
  EXPECT_EQ(firstDifference(file->bytes(), body), std::string_view::npos);
  EXPECT_EQ(firstDifference(readFd(file->fd(), body.size() + 1), body), std::string_view::npos);
  size_t pages = (body.size() + pageSize() - 1) / pageSize();
  EXPECT_EQ(file->residentBytes(), pages * pageSize());
}

TEST(SealedFileTest, MorePartsThanOneWritevTakes) {
  // Over IOV_MAX (1024) non-empty parts: the writes go in several batches.
  const std::string body = test::nonRepeatingBytes(3000 * 37 / 2, 42);
  std::vector<std::string_view> parts;
  std::string_view rest = body;
  for (size_t i = 0; !rest.empty(); ++i) {
    size_t cut = std::min(rest.size(), i % 3 == 0 ? size_t{0} : (i % 37) + 1);
    parts.push_back(rest.substr(0, cut));
    rest.remove_prefix(cut);
  }
  ASSERT_GT(parts.size(), 2500u);
  auto file = SealedFile::create(parts.data(), parts.size());
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->size(), body.size());
  EXPECT_EQ(firstDifference(file->bytes(), body), std::string_view::npos);
}

TEST(SealedFileTest, ResidentBytesAreWholePages) {
  const size_t page = pageSize();
  for (size_t size : {size_t{1}, page - 1, page, page + 1, 3 * page}) {
    auto file = SealedFile::create(std::string(size, 'p'));
    ASSERT_NE(file, nullptr) << size;
    EXPECT_EQ(file->size(), size);
    EXPECT_EQ(file->residentBytes(), (size + page - 1) / page * page) << size;
  }
}

TEST(SealedFileTest, EmptyInputGivesNull) {
  const size_t before = SealedFile::openCount();
  EXPECT_EQ(SealedFile::create(std::string_view()), nullptr);
  EXPECT_EQ(SealedFile::create(nullptr, 0), nullptr);
  std::string_view empties[] = {"", "", ""};
  EXPECT_EQ(SealedFile::create(empties, std::size(empties)), nullptr);
  std::string_view some[] = {"not", "empty"};
  EXPECT_EQ(SealedFile::create(some, 0), nullptr) << "count 0 reads no parts";
  EXPECT_EQ(SealedFile::openCount(), before) << "a refused create() kept a budget slot";
}

TEST(SealedFileTest, SealsForbidWritingGrowingShrinkingAndWritableMappings) {
  const std::string body = test::nonRepeatingBytes(3 * pageSize() + 5, 7);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  const int fd = file->fd();

  int seals = ::fcntl(fd, F_GET_SEALS);
  ASSERT_GE(seals, 0) << std::strerror(errno);
  const int all = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL;
  EXPECT_EQ(seals & all, all) << "seals: " << seals;

  errno = 0;
  EXPECT_EQ(::write(fd, "X", 1), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(::pwrite(fd, "X", 1, 0), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(::ftruncate(fd, 1), -1) << "shrank";
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(body.size() + pageSize())), -1) << "grew";
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(::ftruncate(fd, 0), -1) << "emptied";
  EXPECT_EQ(errno, EPERM);

  errno = 0;
  void* map = ::mmap(nullptr, body.size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  EXPECT_EQ(map, MAP_FAILED) << "got a writable shared mapping of a sealed file";
  EXPECT_EQ(errno, EPERM);
  if (map != MAP_FAILED) ::munmap(map, body.size());

  // F_SEAL_SEAL: no seal can be removed or added, so the above stays true.
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
  EXPECT_EQ(errno, EPERM);

  // A private (copy-on-write) mapping is allowed and does not reach the file.
  void* priv = ::mmap(nullptr, body.size(), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ASSERT_NE(priv, MAP_FAILED) << std::strerror(errno);
  static_cast<char*>(priv)[0] = static_cast<char>(~body[0]);
  ::munmap(priv, body.size());

  EXPECT_EQ(::lseek(fd, 0, SEEK_END), static_cast<off_t>(body.size()));
  EXPECT_EQ(firstDifference(file->bytes(), body), std::string_view::npos);
  EXPECT_EQ(firstDifference(readFd(fd, body.size()), body), std::string_view::npos);
}

TEST(SealedFileTest, OpenCountFollowsLiveFiles) {
  const size_t base = SealedFile::openCount();
  auto a = SealedFile::create(std::string_view("a"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(SealedFile::openCount(), base + 1);
  auto b = SealedFile::create(std::string_view("b"));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(SealedFile::openCount(), base + 2);

  std::shared_ptr<const SealedFile> copy = a;
  a.reset();
  EXPECT_EQ(SealedFile::openCount(), base + 2) << "a copy still holds the file";
  EXPECT_EQ(copy->bytes(), "a");
  copy.reset();
  EXPECT_EQ(SealedFile::openCount(), base + 1);
  b.reset();
  EXPECT_EQ(SealedFile::openCount(), base);
}

TEST(SealedFileTest, DescriptorIsClosedOnDestruction) {
  auto file = SealedFile::create(std::string_view("closing"));
  ASSERT_NE(file, nullptr);
  const int fd = file->fd();
  ASSERT_GE(fd, 0);
  EXPECT_GE(::fcntl(fd, F_GETFD), 0);
  EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC) << "the descriptor leaks into children";
  std::shared_ptr<const SealedFile> copy = file;
  file.reset();
  EXPECT_GE(::fcntl(fd, F_GETFD), 0) << "closed while a copy was alive";
  copy.reset();
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "descriptor " << fd << " still open";
  EXPECT_EQ(errno, EBADF);
}

TEST(SealedFileTest, BudgetIsHalfTheOpenFilesLimit) {
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur == RLIM_INFINITY) GTEST_SKIP() << "no open-files limit";
  EXPECT_EQ(SealedFile::budget(), static_cast<size_t>(lim.rlim_cur / 2));
  EXPECT_GT(SealedFile::budget(), SealedFile::openCount());
}

// ---- Buffer::addFile / fileBody ----

class BufferFileBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = SealedFile::openCount();
    body_ = test::nonRepeatingBytes(200 * 1024 + 17, 99);
    file_ = SealedFile::create(body_);
    ASSERT_NE(file_, nullptr);
  }

  size_t base_ = 0;
  std::string body_;
  std::shared_ptr<const SealedFile> file_;
};

TEST_F(BufferFileBodyTest, AddedToEmptyBufferIsItsFileBody) {
  Buffer buf;
  EXPECT_EQ(buf.fileBody(), nullptr);
  buf.addFile(file_);
  EXPECT_EQ(buf.fileBody(), file_.get());
  EXPECT_EQ(buf.fileBodyOwner(), file_);
  EXPECT_EQ(buf.length(), body_.size());
  EXPECT_EQ(firstDifference(buf.toString(), body_), std::string_view::npos);
  // Reading does not disturb it.
  EXPECT_EQ(buf.fileBody(), file_.get());
  // Zero-copy: the buffer's bytes are the mapping itself.
  evbuffer_iovec vec{};
  ASSERT_EQ(evbuffer_peek(buf.raw(), -1, nullptr, &vec, 1), 1);
  EXPECT_EQ(vec.iov_base, static_cast<const void*>(file_->bytes().data()));
}

TEST_F(BufferFileBodyTest, NullOrEmptyFileAddsNothing) {
  Buffer buf;
  buf.addFile(nullptr);
  EXPECT_TRUE(buf.empty());
  EXPECT_EQ(buf.fileBody(), nullptr);
  EXPECT_EQ(buf.fileBodyOwner(), nullptr);
}

TEST_F(BufferFileBodyTest, AddingMoreBytesForgetsIt) {
  Buffer buf;
  buf.addFile(file_);
  buf.add("trailer");
  EXPECT_EQ(buf.fileBody(), nullptr);
  EXPECT_EQ(buf.toString(), body_ + "trailer");
}

TEST_F(BufferFileBodyTest, AddingOneByteForgetsIt) {
  Buffer buf;
  buf.addFile(file_);
  buf.add("x");
  EXPECT_EQ(buf.fileBody(), nullptr);
}

TEST_F(BufferFileBodyTest, AddingTheSameFileAgainForgetsIt) {
  Buffer buf;
  buf.addFile(file_);
  buf.addFile(file_);
  EXPECT_EQ(buf.fileBody(), nullptr);
  EXPECT_EQ(buf.length(), 2 * body_.size());
  EXPECT_EQ(buf.toString(), body_ + body_);
}

TEST_F(BufferFileBodyTest, DrainingOneByteForgetsIt) {
  Buffer buf;
  buf.addFile(file_);
  buf.drain(1);
  EXPECT_EQ(buf.fileBody(), nullptr);
  EXPECT_EQ(buf.toString(), body_.substr(1));
}

TEST_F(BufferFileBodyTest, DrainingThenAddingBackTheLengthForgetsIt) {
  // Same length as the file again, but not the file's bytes at its address.
  Buffer buf;
  buf.addFile(file_);
  buf.drain(1);
  buf.add(std::string_view(body_).substr(0, 1));
  EXPECT_EQ(buf.length(), file_->size());
  EXPECT_EQ(buf.fileBody(), nullptr);
}

TEST_F(BufferFileBodyTest, ClearForgetsIt) {
  Buffer buf;
  buf.addFile(file_);
  buf.clear();
  EXPECT_TRUE(buf.empty());
  EXPECT_EQ(buf.fileBody(), nullptr);
  // Empty again: a new file body is remembered.
  auto other = SealedFile::create(std::string_view("other body"));
  ASSERT_NE(other, nullptr);
  buf.addFile(other);
  EXPECT_EQ(buf.fileBody(), other.get());
  EXPECT_EQ(buf.toString(), "other body");
}

TEST_F(BufferFileBodyTest, AddedToNonEmptyBufferIsNotItsFileBody) {
  Buffer buf;
  buf.add("HTTP/1.1 200 OK\r\n\r\n");
  buf.addFile(file_);
  EXPECT_EQ(buf.fileBody(), nullptr);
  EXPECT_EQ(buf.toString(), "HTTP/1.1 200 OK\r\n\r\n" + body_);
  // Draining the head leaves exactly the file's bytes, but the buffer never
  // remembered it (it was not alone when added): still nullptr, not a guess.
  buf.drain(19);
  EXPECT_EQ(buf.length(), file_->size());
  EXPECT_EQ(buf.fileBody(), nullptr);
}

TEST_F(BufferFileBodyTest, MoveIntoEmptyBufferCarriesIt) {
  Buffer from;
  from.addFile(file_);
  Buffer to;
  to.move(from);
  EXPECT_TRUE(from.empty());
  EXPECT_EQ(from.fileBody(), nullptr);
  EXPECT_EQ(to.fileBody(), file_.get());
  EXPECT_EQ(firstDifference(to.toString(), body_), std::string_view::npos);
}

TEST_F(BufferFileBodyTest, MoveIntoNonEmptyBufferDropsIt) {
  Buffer from;
  from.addFile(file_);
  Buffer to;
  to.add("head");
  to.move(from);
  EXPECT_TRUE(from.empty());
  EXPECT_EQ(from.fileBody(), nullptr);
  EXPECT_EQ(to.fileBody(), nullptr);
  EXPECT_EQ(to.toString(), "head" + body_);
}

TEST_F(BufferFileBodyTest, MoveOfPlainBytesIntoEmptyBufferDropsAnOldHint) {
  Buffer to;
  to.addFile(file_);
  to.clear();  // empty, with a stale hint
  Buffer from;
  from.add("plain");
  to.move(from);
  EXPECT_EQ(to.fileBody(), nullptr);
  EXPECT_EQ(to.toString(), "plain");
}

TEST_F(BufferFileBodyTest, MoveConstructionAndAssignmentCarryIt) {
  Buffer a;
  a.addFile(file_);
  Buffer b(std::move(a));
  EXPECT_EQ(b.fileBody(), file_.get());
  Buffer c;
  c = std::move(b);
  EXPECT_EQ(c.fileBody(), file_.get());
  EXPECT_EQ(firstDifference(c.toString(), body_), std::string_view::npos);
}

TEST_F(BufferFileBodyTest, BufferKeepsTheFileAliveUntilDestroyed) {
  EXPECT_EQ(SealedFile::openCount(), base_ + 1);
  {
    Buffer buf;
    buf.addFile(file_);
    const char* mapping = file_->bytes().data();
    file_.reset();  // the last outside owner
    EXPECT_EQ(SealedFile::openCount(), base_ + 1) << "the file died under its buffer";
    ASSERT_NE(buf.fileBody(), nullptr);
    EXPECT_EQ(buf.fileBody()->bytes().data(), mapping);
    EXPECT_EQ(firstDifference(buf.toString(), body_), std::string_view::npos);
  }
  EXPECT_EQ(SealedFile::openCount(), base_) << "the buffer leaked the file";
}

TEST_F(BufferFileBodyTest, ReferenceAloneKeepsTheFileAliveUntilDrained) {
  // Added behind other bytes, the file is not remembered: only the
  // evbuffer's reference holds it, and draining its bytes lets it go.
  Buffer buf;
  buf.add("head");
  buf.addFile(file_);
  file_.reset();
  EXPECT_EQ(SealedFile::openCount(), base_ + 1);
  EXPECT_EQ(buf.toString(), "head" + body_);
  buf.drain(4 + body_.size() / 2);
  EXPECT_EQ(SealedFile::openCount(), base_ + 1) << "released with bytes still referenced";
  EXPECT_EQ(buf.toString(), body_.substr(body_.size() / 2));
  buf.clear();
  EXPECT_EQ(SealedFile::openCount(), base_);
}

TEST_F(BufferFileBodyTest, BytesMovedIntoAnotherBufferKeepTheFileAlive) {
  Buffer out;
  out.add("head");
  {
    Buffer body;
    body.addFile(file_);
    out.move(body);
  }
  file_.reset();
  EXPECT_EQ(SealedFile::openCount(), base_ + 1);
  EXPECT_EQ(out.toString(), "head" + body_);
  out.clear();
  EXPECT_EQ(SealedFile::openCount(), base_);
}

TEST_F(BufferFileBodyTest, AddReferenceHoldsItsOwner) {
  auto owner = std::make_shared<std::string>("referenced bytes");
  std::weak_ptr<std::string> watch = owner;
  Buffer buf;
  buf.addReference(*owner, owner);
  owner.reset();
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(buf.toString(), "referenced bytes");
  buf.clear();
  EXPECT_TRUE(watch.expired());
  buf.addReference(std::string_view(), std::make_shared<int>(1));
  EXPECT_TRUE(buf.empty());
}

}  // namespace
}  // namespace courier
