// Group commit: concurrent records share fdatasyncs, and nobody is told ok about a line that a
// sync did not cover. A sync hook holds the first fdatasync until the other threads' lines are
// written, so that batching is certain rather than a matter of timing.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "audit_fixture.hpp"

namespace hsm2fa::audit::testing {
namespace {

using GroupCommit = AuditFixture;

// fdatasync through a hook. The first call waits until `lines` lines are written (then the
// others are queued behind it) and `hold` is clear, and then fails with `first_errno` if that is
// non-zero.
struct SyncGate {
  AuditLog* log = nullptr;
  std::uint64_t lines = 0;
  int first_errno = 0;
  std::atomic<int> calls{0};
  std::atomic<bool> fail_all{false};
  std::atomic<bool> hold{false};

  std::function<int(int)> hook() {
    return [this](int fd) {
      if (calls.fetch_add(1) == 0) {
        // Bounded: if the other lines never come the test fails on its counts, not by hanging.
        for (int i = 0; i < 20'000 && (log->head().seq < lines || hold); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (first_errno != 0) {
          errno = first_errno;
          return -1;
        }
      }
      if (fail_all) {
        errno = EIO;
        return -1;
      }
      return ::fdatasync(fd);
    };
  }
};

// Runs `threads` threads that each record `per_thread` events; returns how many failed.
int record_concurrently(AuditLog& log, int threads, int per_thread,
                        std::vector<Errc>* errors = nullptr) {
  std::atomic<int> failures{0};
  std::mutex errors_mutex;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto status = log.record(event("t" + std::to_string(t) + "-" + std::to_string(i)));
        if (status) continue;
        ++failures;
        std::lock_guard lock(errors_mutex);
        if (errors) errors->push_back(status.error().code);
      }
    });
  }
  for (auto& thread : pool) thread.join();
  return failures.load();
}

// Every line of every file, in chain order, has the next seq.
void expect_contiguous_seqs(const std::filesystem::path& dir, std::uint64_t last) {
  std::uint64_t expected = 1;
  for (const auto& file : audit_files(dir)) {
    for (const auto& line : read_lines(file)) {
      auto seq = boost::json::parse(line).as_object().at("seq").to_number<std::uint64_t>();
      ASSERT_EQ(seq, expected) << file;
      ++expected;
    }
  }
  EXPECT_EQ(expected - 1, last);
}

TEST_F(GroupCommit, OneSyncServesTheLinesWrittenWhileItRuns) {
  constexpr int kThreads = 8;
  SyncGate gate;
  gate.lines = kThreads;
  auto o = options();
  o.checkpoint_lines = 1000;
  o.sync_hook = gate.hook();
  auto log = open_log(o);
  ASSERT_TRUE(log);
  gate.log = log.get();
  EXPECT_EQ(record_concurrently(*log, kThreads, 1), 0);
  const AuditSyncStats stats = log->sync_stats();
  EXPECT_EQ(stats.lines, static_cast<std::uint64_t>(kThreads));
  // The first sync held until all lines were written: it and at most one more cover them all.
  EXPECT_LE(stats.syncs, 2u);
  EXPECT_LT(stats.syncs, stats.lines);
  EXPECT_GE(stats.largest_batch, static_cast<std::uint64_t>(kThreads) / 2);
  EXPECT_EQ(stats.failed_syncs, 0u);
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.events, static_cast<std::size_t>(kThreads));
}

TEST_F(GroupCommit, ManyThreadsLeaveOneIntactContiguousChain) {
  auto log = open_log();  // a checkpoint every 4 lines, written by whichever record is due
  ASSERT_TRUE(log);
  EXPECT_EQ(record_concurrently(*log, 12, 30), 0);
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.events, 360u);
  EXPECT_EQ(report.last_seq, 360u + 90u);
  expect_contiguous_seqs(dir_, report.last_seq);
  const AuditSyncStats stats = log->sync_stats();
  EXPECT_EQ(stats.lines, report.last_seq);  // every line was covered by a successful sync
  EXPECT_LE(stats.syncs, stats.lines);
}

TEST_F(GroupCommit, RotationUnderConcurrencyKeepsTheChain) {
  auto o = options();
  o.rotate_bytes = 1200;  // two or three lines per file
  auto log = open_log(o);
  ASSERT_TRUE(log);
  EXPECT_EQ(record_concurrently(*log, 8, 15), 0);
  auto files = audit_files(dir_);
  EXPECT_GE(files.size(), 20u);
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.events, 120u);
  EXPECT_EQ(report.last_seq, 150u);
  expect_contiguous_seqs(dir_, report.last_seq);
}

TEST_F(GroupCommit, FailedSyncFailsEveryLineItCoveredAndTheNextRecordRecovers) {
  constexpr int kThreads = 6;
  SyncGate gate;
  gate.lines = kThreads;
  gate.first_errno = EIO;
  auto o = options();
  o.checkpoint_lines = 1000;
  o.sync_hook = gate.hook();
  auto log = open_log(o);
  ASSERT_TRUE(log);
  gate.log = log.get();
  std::vector<Errc> errors;
  EXPECT_EQ(record_concurrently(*log, kThreads, 1, &errors), kThreads);  // not one ok
  for (Errc e : errors) EXPECT_EQ(e, Errc::audit_unavailable);
  EXPECT_GE(log->sync_stats().failed_syncs, 1u);
  EXPECT_EQ(log->sync_stats().lines, 0u);

  ASSERT_TRUE(log->record(event("after")).ok());
  // The file whose sync failed is set aside as it is; the chain continues after a recovery line.
  EXPECT_TRUE(std::filesystem::exists(dir_ / "audit-00000000000000000001.jsonl"));
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 2u);
  auto recovery = boost::json::parse(lines[0]).as_object();
  EXPECT_EQ(str(recovery.at("type")), "recovery");
  EXPECT_NE(str(recovery.at("reason")).find("fdatasync failed"), std::string::npos);
  EXPECT_EQ(recovery.at("seq").to_number<int>(), kThreads + 1);
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.last_seq, static_cast<std::uint64_t>(kThreads) + 2);
}

// Writes through /dev/full once `full` is set, after writing half of that first line: a torn tail.
std::function<long(int, const void*, std::size_t)> tearing_write(std::atomic<bool>& full) {
  return [&full](int fd, const void* data, std::size_t size) -> long {
    if (!full) return ::write(fd, data, size);
    int dev = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    long n = ::write(dev, data, size);
    int e = errno;
    ::close(dev);
    errno = e;
    return n;
  };
}

TEST_F(GroupCommit, AWriteFailureFailsOnlyItsOwnRecordNotTheLinesWaitingForASync) {
  SyncGate gate;
  gate.lines = 2;
  gate.hold = true;
  std::atomic<bool> full{false};
  auto o = options();
  o.checkpoint_lines = 1000;
  o.sync_hook = gate.hook();
  o.write_hook = tearing_write(full);
  auto log = open_log(o);
  ASSERT_TRUE(log);
  gate.log = log.get();
  std::atomic<int> ok{0};
  std::vector<std::thread> waiting;
  for (int t = 0; t < 2; ++t) {
    waiting.emplace_back([&, t] { ok += log->record(event("w" + std::to_string(t))).ok(); });
  }
  // Both lines are written; the first sync is held, so neither is durable yet.
  for (int i = 0; i < 20'000 && log->head().seq < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(log->head().seq, 2u);
  full = true;
  auto failed = log->record(event("full"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::audit_unavailable);
  full = false;
  gate.hold = false;
  for (auto& thread : waiting) thread.join();
  EXPECT_EQ(ok.load(), 2);  // written before the failure and synced: acknowledged
  ASSERT_TRUE(log->record(event("after")).ok());
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.events, 3u);
}

TEST_F(GroupCommit, AFileIsSyncedBeforeItIsRotatedAwayAndAFailureThereStopsTheRotation) {
  SyncGate gate;
  auto o = options();
  o.checkpoint_lines = 1000;
  o.rotate_bytes = 1;  // every line after the first of a file starts a new file
  o.sync_hook = gate.hook();
  auto log = open_log(o);
  ASSERT_TRUE(log);
  gate.log = log.get();
  record_events(*log, 1);
  gate.fail_all = true;
  auto failed = log->record(event("during"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::audit_unavailable);
  // The rotation stopped at the failed sync: nothing renamed, the line not written anywhere.
  ASSERT_EQ(audit_files(dir_).size(), 1u);
  EXPECT_EQ(read_lines(current()).size(), 1u);
  EXPECT_EQ(log->head().seq, 1u);

  gate.fail_all = false;
  ASSERT_TRUE(log->record(event("after")).ok());
  auto files = audit_files(dir_);
  ASSERT_EQ(files.size(), 3u);  // the file whose sync failed, its recovery line, the event
  EXPECT_EQ(str(boost::json::parse(read_lines(files[1]).at(0)).as_object().at("type")), "recovery");
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.last_seq, 3u);
}

TEST_F(GroupCommit, AFailingDiskFailsEveryRecordUntilItRecovers) {
  SyncGate gate;
  auto o = options();
  o.sync_hook = gate.hook();
  gate.fail_all = true;
  auto log = open_log(o);
  ASSERT_TRUE(log);
  gate.log = log.get();
  for (int i = 0; i < 3; ++i) {
    auto status = log->record(event("u" + std::to_string(i)));
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, Errc::audit_unavailable);
  }
  gate.fail_all = false;
  ASSERT_TRUE(log->record(event("back")).ok());
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_GE(report.notes.size(), 1u);
}

}  // namespace
}  // namespace hsm2fa::audit::testing
