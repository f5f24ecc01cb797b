#include "audit_fixture.hpp"

#include <fstream>
#include <random>
#include <sstream>

namespace hsm2fa::audit::testing {

void AuditFixture::SetUp() {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() /
         ("hsm2fa-audit-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
}

void AuditFixture::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

AuditLogOptions AuditFixture::options() const {
  AuditLogOptions o;
  o.dir = dir_;
  o.instance = "test-1";
  o.checkpoint_lines = 4;
  o.checkpoint_seconds = std::chrono::seconds(60);
  return o;
}

std::unique_ptr<AuditLog> AuditFixture::open_log(AuditLogOptions options) {
  auto log = AuditLog::open(std::move(options), keys_, clock_);
  EXPECT_TRUE(log.ok()) << log.error().message;
  return log.ok() ? std::move(*log) : nullptr;
}

void AuditFixture::record_events(AuditLog& log, int n, int first) {
  for (int i = first; i < first + n; ++i) {
    clock_->advance(std::chrono::milliseconds(250));
    auto status = log.record(event("u" + std::to_string(i)));
    ASSERT_TRUE(status.ok()) << status.error().message;
  }
}

VerifyReport AuditFixture::verify_all() { return verify(audit_files(dir_)); }

VerifyReport AuditFixture::verify(const std::vector<std::filesystem::path>& files) {
  VerifyOptions o;
  o.public_key_pem = keys_->public_key_pem();
  o.seal_keys = keys_;
  auto report = verify_audit(files, o);
  EXPECT_TRUE(report.ok()) << report.error().message;
  return report.ok() ? *report : VerifyReport{};
}

AuditRecord event(std::string user, std::string outcome) {
  AuditRecord r;
  r.request_id = "req-" + user;
  r.actor = "uid=1000,gid=1000";
  r.action = "verify";
  r.tenant = "acme";
  r.user = std::move(user);
  r.outcome = std::move(outcome);
  return r;
}

std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::ofstream out(file, std::ios::trunc | std::ios::binary);
  for (const auto& line : lines) out << line << '\n';
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has_problem(const VerifyReport& report, const std::string& name, std::size_t line,
                 const std::string& words) {
  for (const auto& p : report.problems) {
    if (p.file.filename() == name && p.line == line && p.what.find(words) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace hsm2fa::audit::testing
