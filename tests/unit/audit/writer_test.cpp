// The writer: line contents, chaining, checkpoints, rotation, restart, and failing closed.
#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <thread>

#include "audit_fixture.hpp"

namespace hsm2fa::audit::testing {
namespace {

using Writer = AuditFixture;

boost::json::object parse(const std::string& line) { return boost::json::parse(line).as_object(); }

TEST_F(Writer, EventLineCarriesTheRecordAndNothingElse) {
  auto log = open_log();
  ASSERT_TRUE(log);
  auto r = event("alice", "invalid");
  r.reason = "wrong_code";
  r.ckr = "CKR_DEVICE_ERROR";
  clock_->advance(std::chrono::milliseconds(123));
  ASSERT_TRUE(log->record(r).ok());
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 1u);
  auto o = parse(lines[0]);
  EXPECT_EQ(str(o.at("type")), "event");
  EXPECT_EQ(o.at("seq").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(str(o.at("ts")), "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(str(o.at("instance")), "test-1");
  EXPECT_EQ(str(o.at("request_id")), "req-alice");
  EXPECT_EQ(str(o.at("actor")), "uid=1000,gid=1000");
  EXPECT_EQ(str(o.at("action")), "verify");
  EXPECT_EQ(str(o.at("tenant")), "acme");
  EXPECT_EQ(str(o.at("user")), "alice");
  EXPECT_EQ(str(o.at("outcome")), "invalid");
  EXPECT_EQ(str(o.at("reason")), "wrong_code");
  EXPECT_EQ(str(o.at("ckr")), "CKR_DEVICE_ERROR");
  EXPECT_EQ(str(o.at("prev")), std::string(64, '0'));
  EXPECT_EQ(o.at("chain").as_string().size(), 64u);
  EXPECT_EQ(o.at("seal").as_string().size(), 64u);
  EXPECT_EQ(o.size(), 15u);
  EXPECT_EQ(log->head().seq, 1u);
  EXPECT_EQ(log->head().chain, std::string(o.at("chain").as_string()));
}

TEST_F(Writer, InvalidUtf8IsReplacedSoTheLineStaysParsable) {
  auto log = open_log();
  ASSERT_TRUE(log);
  ASSERT_TRUE(log->record(event(std::string("bob\xff\xfe"))).ok());
  EXPECT_EQ(parse(read_lines(current())[0]).at("user"), "bob??");
  EXPECT_TRUE(verify_all().intact());
}

TEST_F(Writer, EachLineChainsToThePreviousAndCheckpointsEveryNLines) {
  auto log = open_log();
  ASSERT_TRUE(log);
  record_events(*log, 5);
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 6u);  // 4 events, a checkpoint, 1 event
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto o = parse(lines[i]);
    EXPECT_EQ(o.at("seq").to_number<std::uint64_t>(), i + 1);
    EXPECT_EQ(str(o.at("prev")), str(parse(lines[i - 1]).at("chain")));
  }
  auto checkpoint = parse(lines[4]);
  EXPECT_EQ(str(checkpoint.at("type")), "checkpoint");
  EXPECT_EQ(str(checkpoint.at("chain_head")), str(parse(lines[3]).at("chain")));
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.checkpoints_verified, 1u);
  EXPECT_EQ(report.seals_verified, 6u);
}

TEST_F(Writer, CheckpointsAfterTheConfiguredSeconds) {
  auto o = options();
  o.checkpoint_lines = 1000;
  auto log = open_log(o);
  ASSERT_TRUE(log);
  record_events(*log, 1);
  EXPECT_EQ(read_lines(current()).size(), 1u);
  clock_->advance(std::chrono::seconds(61));
  record_events(*log, 1, 1);
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(str(parse(lines[2]).at("type")), "checkpoint");
}

TEST_F(Writer, ExplicitCheckpointOnlyWhenSomethingFollowsTheLastOne) {
  auto log = open_log();
  ASSERT_TRUE(log);
  record_events(*log, 2);
  ASSERT_TRUE(log->checkpoint().ok());
  ASSERT_TRUE(log->checkpoint().ok());
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(str(parse(lines[2]).at("type")), "checkpoint");
}

TEST_F(Writer, RotationBySizeKeepsOneChainAcrossFiles) {
  auto o = options();
  o.rotate_bytes = 1200;  // two or three lines per file
  auto log = open_log(o);
  ASSERT_TRUE(log);
  record_events(*log, 12);
  auto files = audit_files(dir_);
  ASSERT_GE(files.size(), 4u);
  EXPECT_EQ(files.front().filename(), "audit-00000000000000000001.jsonl");
  EXPECT_EQ(files.back().filename(), "audit.jsonl");
  for (std::size_t i = 1; i < files.size(); ++i) {
    auto previous = read_lines(files[i - 1]);
    auto first = parse(read_lines(files[i]).front());
    EXPECT_EQ(str(first.at("prev")), str(parse(previous.back()).at("chain"))) << files[i];
    if (i + 1 < files.size()) {
      char name[64];
      std::snprintf(name, sizeof name, "audit-%020lld.jsonl",
                    static_cast<long long>(first.at("seq").as_int64()));
      EXPECT_EQ(files[i].filename().string(), name);
    }
  }
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.last_seq, 15u);  // 12 events and 3 checkpoints
}

TEST_F(Writer, RestartContinuesSeqAndChain) {
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    record_events(*log, 3);
  }
  auto log = open_log();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->head().seq, 3u);
  record_events(*log, 2, 3);
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(parse(lines[3]).at("seq").to_number<int>(), 4);
  EXPECT_EQ(str(parse(lines[3]).at("prev")), str(parse(lines[2]).at("chain")));
  EXPECT_TRUE(verify_all().intact());
}

TEST_F(Writer, MissingDirectoryIsAuditUnavailable) {
  auto o = options();
  o.dir = dir_ / "missing";
  auto log = AuditLog::open(o, keys_, clock_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, Errc::audit_unavailable);
}

// Writes through /dev/full while `full` is set: the kernel's own ENOSPC.
struct DiskFull {
  std::shared_ptr<std::atomic<bool>> full = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<bool>> tear = std::make_shared<std::atomic<bool>>(false);
  std::function<long(int, const void*, std::size_t)> hook() const {
    return [full = full, tear = tear](int fd, const void* data, std::size_t size) -> long {
      if (*tear) {  // half the line reaches the file, then the disk is full
        tear->store(false);
        full->store(true);
        return ::write(fd, data, size / 2);
      }
      if (!*full) return ::write(fd, data, size);
      int dev = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
      long n = ::write(dev, data, size);
      int e = errno;
      ::close(dev);
      errno = e;
      return n;
    };
  }
};

TEST_F(Writer, FullDiskIsAuditUnavailableAndTheNextCallRetries) {
  DiskFull disk;
  auto o = options();
  o.write_hook = disk.hook();
  auto log = open_log(o);
  ASSERT_TRUE(log);
  record_events(*log, 2);
  disk.full->store(true);
  auto failed = log->record(event("carol"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::audit_unavailable);
  EXPECT_NE(failed.error().message.find("No space"), std::string::npos) << failed.error().message;
  EXPECT_EQ(log->head().seq, 2u);
  disk.full->store(false);
  ASSERT_TRUE(log->record(event("carol")).ok());
  EXPECT_EQ(log->head().seq, 3u);
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
}

TEST_F(Writer, ShortWriteLeavesATornLineThatTheNextCallRecordsAndMovesAside) {
  DiskFull disk;
  auto o = options();
  o.write_hook = disk.hook();
  auto log = open_log(o);
  ASSERT_TRUE(log);
  record_events(*log, 2);
  disk.tear->store(true);
  ASSERT_FALSE(log->record(event("dave")).ok());
  disk.full->store(false);
  ASSERT_TRUE(log->record(event("dave")).ok());
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 3u);  // recovery, the event, a checkpoint (4 lines since the last)
  EXPECT_EQ(str(parse(lines[0]).at("type")), "recovery");
  EXPECT_EQ(str(parse(lines[1]).at("user")), "dave");
  EXPECT_NE(std::string(parse(lines[0]).at("reason").as_string()).find("torn"), std::string::npos);
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.last_seq, 5u);
}

TEST_F(Writer, SealFailureIsAuditUnavailableAndWritesNothing) {
  auto log = open_log();
  ASSERT_TRUE(log);
  record_events(*log, 1);
  keys_->fail_seal = true;
  auto failed = log->record(event("erin"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::audit_unavailable);
  EXPECT_EQ(read_lines(current()).size(), 1u);
  keys_->fail_seal = false;
  record_events(*log, 1, 1);
  EXPECT_TRUE(verify_all().intact());
}

TEST_F(Writer, SigningFailureKeepsTheEventAndRetriesTheCheckpoint) {
  auto log = open_log();
  ASSERT_TRUE(log);
  keys_->fail_sign = true;
  record_events(*log, 4);  // the checkpoint due after the 4th cannot be signed
  EXPECT_EQ(read_lines(current()).size(), 4u);
  keys_->fail_sign = false;
  record_events(*log, 1, 4);
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(str(parse(lines[5]).at("type")), "checkpoint");
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.checkpoints_verified, 1u);
}

TEST_F(Writer, ConcurrentRecordsGetDistinctConsecutiveSeqs) {
  auto log = open_log();
  ASSERT_TRUE(log);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (!log->record(event("t" + std::to_string(t) + "-" + std::to_string(i))).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.events, 100u);
  EXPECT_EQ(report.last_seq, 100u + 25u);  // a checkpoint after every 4 lines
}

}  // namespace
}  // namespace hsm2fa::audit::testing
