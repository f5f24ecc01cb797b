// AuditLog::ready(): the cheap question the service asks before it changes anything, and the
// writer's refusal to keep appending to a file that is no longer the one in the directory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "audit_fixture.hpp"
#include "hsm2fa/audit/audit_sink.hpp"
#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::audit::testing {
namespace {

namespace fs = std::filesystem;
using Readiness = AuditFixture;

TEST_F(Readiness, ReadyWhileTheDirectoryIsUsableAndWritesNothing) {
  auto log = open_log();
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->ready().ok());
  EXPECT_EQ(log->head().seq, 0u);
  EXPECT_EQ(fs::file_size(current()), 0u);
}

TEST_F(Readiness, DirectoryReplacedByAFileIsUnavailableUntilItComesBack) {
  auto log = open_log();
  ASSERT_TRUE(log);
  record_events(*log, 2);
  const fs::path moved = dir_.string() + ".moved";
  fs::rename(dir_, moved);
  write_lines(dir_, {"not a directory"});  // the path's directory is now a file

  const Status ready = log->ready();
  ASSERT_FALSE(ready.ok());
  EXPECT_EQ(ready.error().code, Errc::audit_unavailable);
  const Status recorded = log->record(event("u9"));
  ASSERT_FALSE(recorded.ok());
  EXPECT_EQ(recorded.error().code, Errc::audit_unavailable);
  EXPECT_EQ(read_lines(moved / "audit.jsonl").size(), 2u);  // nothing went to the lost file

  fs::remove(dir_);
  fs::rename(moved, dir_);
  ASSERT_TRUE(log->ready().ok());
  ASSERT_TRUE(log->record(event("u10")).ok());
  EXPECT_EQ(log->head().seq, 3u);  // the chain continues where the files left it
  EXPECT_TRUE(verify_all().intact());
}

TEST_F(Readiness, AFileRotatedAwayByHandIsNotWrittenToAgain) {
  auto log = open_log();
  ASSERT_TRUE(log);
  record_events(*log, 1);
  const fs::path rotated = dir_ / "audit-00000000000000000001.jsonl";
  fs::rename(current(), rotated);
  ASSERT_TRUE(log->record(event("u1")).ok());
  EXPECT_EQ(read_lines(rotated).size(), 1u);
  const auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines.front().find("\"seq\":2,"), std::string::npos);
  EXPECT_TRUE(verify_all().intact());
}

TEST_F(Readiness, SinkReportsTheLogsReadiness) {
  auto log = std::shared_ptr<AuditLog>(open_log());
  ASSERT_TRUE(log);
  auto sink = make_audit_sink(log);
  EXPECT_TRUE(sink->ready().ok());
  const fs::path moved = dir_.string() + ".moved";
  fs::rename(dir_, moved);
  const Status ready = sink->ready();
  ASSERT_FALSE(ready.ok());
  EXPECT_EQ(ready.error().code, Errc::audit_unavailable);
  fs::rename(moved, dir_);
}

TEST_F(Readiness, ReadyKeepsDiskSpaceAllocatedForTheNextLines) {
  auto log = open_log();
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->ready().ok());
  struct stat st {};
  ASSERT_EQ(::stat(current().c_str(), &st), 0);
  if (st.st_blocks == 0) GTEST_SKIP() << "this file system does not preallocate (fallocate)";
  EXPECT_EQ(st.st_size, 0);  // allocated, not written: readers see no bytes
  EXPECT_GE(static_cast<std::uint64_t>(st.st_blocks) * 512u, 256u * 1024u);
  record_events(*log, 3);
  EXPECT_TRUE(verify_all().intact());
}

// Seen from the service's seam: a line that cannot be written after ready() said yes (an I/O
// error, or a disk that filled where nothing could be reserved; here the kernel's ENOSPC from
// /dev/full) is an audit_unavailable record, which the service answers 503 whatever the use
// case's own outcome; nothing is reported written.
TEST_F(Readiness, ARecordThatFailsAfterReadyIsAuditUnavailable) {
  auto full = std::make_shared<std::atomic<bool>>(false);
  auto o = options();
  o.write_hook = [full](int fd, const void* data, std::size_t size) -> long {
    int out = *full ? ::open("/dev/full", O_WRONLY | O_CLOEXEC) : fd;
    long n = ::write(out, data, size);
    int e = errno;
    if (out != fd) ::close(out);
    errno = e;
    return n;
  };
  auto log = std::shared_ptr<AuditLog>(open_log(o));
  ASSERT_TRUE(log);
  auto sink = make_audit_sink(log);
  ASSERT_TRUE(sink->ready().ok());
  full->store(true);
  const Status recorded = sink->record(service::Caller{}, {"verify", "acme", "alice", "valid", {}});
  ASSERT_FALSE(recorded.ok());
  EXPECT_EQ(recorded.error().code, Errc::audit_unavailable);
  EXPECT_EQ(log->head().seq, 0u);
  EXPECT_TRUE(read_lines(current()).empty());
  full->store(false);
  ASSERT_TRUE(sink->ready().ok());
}

}  // namespace
}  // namespace hsm2fa::audit::testing
