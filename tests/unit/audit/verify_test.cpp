// The verifier names the first edited, removed, inserted or reordered line, and every bad
// checkpoint, by file and line number.
#include <openssl/evp.h>

#include <boost/json.hpp>

#include "audit_fixture.hpp"

namespace hsm2fa::audit::testing {
namespace {

class Verify : public AuditFixture {
 protected:
  // 10 events with a checkpoint after every 4 lines: lines 5 and 10 are checkpoints.
  void SetUp() override {
    AuditFixture::SetUp();
    auto log = open_log();
    ASSERT_TRUE(log);
    record_events(*log, 10);
    lines_ = read_lines(current());
    ASSERT_EQ(lines_.size(), 12u);
  }
  std::vector<std::string> lines_;
};

void replace(std::string& line, const std::string& from, const std::string& to) {
  auto at = line.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  line.replace(at, from.size(), to);
}

std::string sha256_hex(const std::string& data) {
  unsigned char out[32];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, EVP_sha256(), nullptr);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : out) {
    hex.push_back(digits[b >> 4]);
    hex.push_back(digits[b & 15]);
  }
  return hex;
}

// What an attacker without the token can do: recompute every chain value (and prev) from
// line `from` on, leaving the seals and signatures as they were.
void rechain(std::vector<std::string>& lines, std::size_t from) {
  auto bytes = [](const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
  };
  std::string prev = boost::json::parse(lines[from - 1]).at("chain").as_string().c_str();
  for (std::size_t i = from; i < lines.size(); ++i) {
    auto& line = lines[i];
    const std::size_t suffix = line.size() - 150;
    auto prev_at = line.find("\"prev\":\"") + 8;
    line.replace(prev_at, 64, prev);
    std::string canonical = line.substr(0, suffix) + "}";
    std::string chain = sha256_hex(bytes(prev) + canonical);
    line.replace(suffix + 10, 64, chain);
    prev = chain;
  }
}

TEST_F(Verify, AnUntouchedLogIsIntact) {
  auto report = verify_all();
  EXPECT_TRUE(report.intact()) << format_report(report);
  EXPECT_EQ(report.lines, 12u);
  EXPECT_EQ(report.events, 10u);
  EXPECT_EQ(report.checkpoints, 2u);
  EXPECT_EQ(report.checkpoints_verified, 2u);
  EXPECT_EQ(report.seals_verified, 12u);
  EXPECT_EQ(report.first_seq, 1u);
  EXPECT_EQ(report.last_seq, 12u);
  EXPECT_NE(format_report(report).find("intact"), std::string::npos);
}

TEST_F(Verify, AnEditedFieldIsNamedWithItsLine) {
  replace(lines_[2], "\"outcome\":\"valid\"", "\"outcome\":\"invalid\"");
  write_lines(current(), lines_);
  auto report = verify_all();
  EXPECT_FALSE(report.intact());
  EXPECT_TRUE(has_problem(report, "audit.jsonl", 3, "edited")) << format_report(report);
  EXPECT_EQ(report.problems.size(), 1u) << format_report(report);
}

TEST_F(Verify, ADeletedLineIsNamedWhereTheGapIs) {
  lines_.erase(lines_.begin() + 2);
  write_lines(current(), lines_);
  auto report = verify_all();
  EXPECT_TRUE(has_problem(report, "audit.jsonl", 3, "seq 4 follows seq 2"))
      << format_report(report);
  EXPECT_EQ(report.problems.size(), 1u) << format_report(report);
}

TEST_F(Verify, SwappedLinesAreNamedAtTheFirstOfThem) {
  std::swap(lines_[6], lines_[7]);
  write_lines(current(), lines_);
  auto report = verify_all();
  ASSERT_FALSE(report.intact());
  EXPECT_EQ(report.problems.front().line, 7u) << format_report(report);
  EXPECT_TRUE(has_problem(report, "audit.jsonl", 7, "seq 8 follows seq 6"))
      << format_report(report);
}

TEST_F(Verify, AnInsertedLineIsNamed) {
  lines_.insert(lines_.begin() + 4, lines_[1]);
  write_lines(current(), lines_);
  auto report = verify_all();
  ASSERT_FALSE(report.intact());
  EXPECT_TRUE(has_problem(report, "audit.jsonl", 5, "seq 2 follows seq 4"))
      << format_report(report);
}

TEST_F(Verify, ATruncatedFileIsNamedAtItsTornLine) {
  auto text = read_text(current());
  std::filesystem::resize_file(current(), text.size() - 40);
  auto report = verify_all();
  EXPECT_TRUE(has_problem(report, "audit.jsonl", 12, "torn")) << format_report(report);
}

TEST_F(Verify, AForgedCheckpointSignatureIsNamed) {
  auto sig_of = [](const std::string& line) {
    return std::string(boost::json::parse(line).at("sig").as_string());
  };
  replace(lines_[4], sig_of(lines_[4]), sig_of(lines_[9]));
  rechain(lines_, 4);  // even with its chain value made consistent again
  write_lines(current(), lines_);
  VerifyOptions o;
  o.public_key_pem = keys_->public_key_pem();
  auto report = verify_audit(audit_files(dir_), o);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(has_problem(*report, "audit.jsonl", 5, "signature")) << format_report(*report);
  EXPECT_EQ(report->problems.front().line, 5u) << format_report(*report);
}

TEST_F(Verify, ARechainedEditIsCaughtByTheSealAndByTheNextCheckpoint) {
  replace(lines_[1], "\"user\":\"u1\"", "\"user\":\"mallory\"");
  rechain(lines_, 1);
  write_lines(current(), lines_);
  // Public key only: the checkpoint at line 5 signed the original chain head.
  VerifyOptions o;
  o.public_key_pem = keys_->public_key_pem();
  auto signed_only = verify_audit(audit_files(dir_), o);
  ASSERT_TRUE(signed_only.ok());
  EXPECT_TRUE(has_problem(*signed_only, "audit.jsonl", 5, "checkpoint"))
      << format_report(*signed_only);
  // With the token: the seal of line 2 no longer matches.
  auto sealed = verify_all();
  EXPECT_TRUE(has_problem(sealed, "audit.jsonl", 2, "seal")) << format_report(sealed);
}

TEST_F(Verify, ASignatureFromAnotherKeyIsRejected) {
  SoftwareAuditKeys other;
  VerifyOptions o;
  o.public_key_pem = other.public_key_pem();
  auto report = verify_audit(audit_files(dir_), o);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(has_problem(*report, "audit.jsonl", 5, "signature"));
  EXPECT_TRUE(has_problem(*report, "audit.jsonl", 10, "signature"));
}

TEST_F(Verify, WithoutKeysTheChainIsCheckedAndTheRestIsNoted) {
  auto report = verify_audit(audit_files(dir_), VerifyOptions{});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact());
  EXPECT_EQ(report->checkpoints_verified, 0u);
  EXPECT_NE(format_report(*report).find("not checked"), std::string::npos);
}

TEST_F(Verify, AGarbageLineIsNamedAndTheRestStillChecked) {
  lines_[5] = "not json";
  write_lines(current(), lines_);
  auto report = verify_all();
  EXPECT_TRUE(has_problem(report, "audit.jsonl", 6, "malformed")) << format_report(report);
  EXPECT_EQ(report.problems.size(), 1u) << format_report(report);
}

TEST_F(Verify, AMissingRotatedFileIsNamedAtTheNextFilesFirstLine) {
  std::filesystem::remove(current());
  auto o = options();
  o.rotate_bytes = 1200;
  {
    auto log = open_log(o);
    ASSERT_TRUE(log);
    record_events(*log, 9);
  }
  auto files = audit_files(dir_);
  ASSERT_GE(files.size(), 3u);
  std::filesystem::remove(files[1]);
  files.erase(files.begin() + 1);
  auto report = verify(files);
  EXPECT_TRUE(has_problem(report, files[1].filename().string(), 1, "follows"))
      << format_report(report);
}

TEST_F(Verify, BadInputsAreErrors) {
  EXPECT_EQ(verify_audit({}, VerifyOptions{}).error().code, Errc::invalid_argument);
  VerifyOptions o;
  o.public_key_pem = "not a key";
  std::vector<std::filesystem::path> files{current()};
  EXPECT_EQ(verify_audit(files, o).error().code, Errc::invalid_argument);
  std::vector<std::filesystem::path> missing{dir_ / "nope.jsonl"};
  EXPECT_EQ(verify_audit(missing, VerifyOptions{}).error().code, Errc::not_found);
}

}  // namespace
}  // namespace hsm2fa::audit::testing
