// Start-up after a crash: a torn last line is reported, kept as it was, and recorded by the first
// line of a new file; a tail that cannot continue the chain stops the log.
#include <boost/json.hpp>
#include <fstream>

#include "audit_fixture.hpp"

namespace hsm2fa::audit::testing {
namespace {

using Recovery = AuditFixture;

void append(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << bytes;
}

TEST_F(Recovery, TornTailIsKeptAsItWasAndRecordedInTheNewFile) {
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    record_events(*log, 3);
  }
  append(current(), R"({"type":"event","seq":4,"ts":"2027-01)");
  const std::string before = read_text(current());
  const std::string third_chain(
      boost::json::parse(read_lines(current())[2]).at("chain").as_string());

  auto log = open_log();
  ASSERT_TRUE(log);
  const auto rotated = dir_ / "audit-00000000000000000001.jsonl";
  EXPECT_EQ(read_text(rotated), before);  // never rewritten
  auto lines = read_lines(current());
  ASSERT_EQ(lines.size(), 1u);
  auto recovery = boost::json::parse(lines[0]).as_object();
  EXPECT_EQ(str(recovery.at("type")), "recovery");
  EXPECT_EQ(recovery.at("seq").to_number<int>(), 4);
  EXPECT_EQ(str(recovery.at("prev")), third_chain);
  EXPECT_NE(std::string(recovery.at("reason").as_string()).find("torn"), std::string::npos);

  record_events(*log, 2, 3);
  EXPECT_EQ(log->head().seq, 6u);
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  bool noted = false;
  for (const auto& n : report.notes) noted |= n.what.find("torn") != std::string::npos;
  EXPECT_TRUE(noted) << format_report(report);
}

TEST_F(Recovery, AFileHoldingOnlyATornLineSortsAfterItsPredecessor) {
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    record_events(*log, 3);
  }
  std::filesystem::rename(current(), dir_ / "audit-00000000000000000001.jsonl");
  append(current(), R"({"type":"ev)");
  auto log = open_log();
  ASSERT_TRUE(log);
  record_events(*log, 1, 3);
  auto files = audit_files(dir_);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[1].filename(), "audit-00000000000000000003.torn.jsonl");
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.last_seq, 5u);
}

TEST_F(Recovery, ATornTailNobodyRecoveredFromIsAProblem) {
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    record_events(*log, 3);
  }
  append(current(), R"({"type":"event")");
  auto report = verify_all();
  EXPECT_TRUE(has_problem(report, "audit.jsonl", 4, "torn")) << format_report(report);
}

TEST_F(Recovery, AnUnparsableLastLineStopsTheLog) {
  {
    auto log = open_log();
    ASSERT_TRUE(log);
    record_events(*log, 2);
  }
  append(current(), "garbage\n");
  auto log = AuditLog::open(options(), keys_, clock_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, Errc::tampered);
  EXPECT_NE(log.error().message.find("audit.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::audit::testing
