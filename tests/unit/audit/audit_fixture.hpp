// A temporary audit directory with a software key pair and a manual clock, plus helpers to read
// and rewrite the log's files the way an attacker (or a crash) would.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "hsm2fa/audit/audit_log.hpp"
#include "hsm2fa/audit/verify.hpp"
#include "hsm2fa/clock.hpp"
#include "software_audit_keys.hpp"

namespace hsm2fa::audit::testing {

class AuditFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  AuditLogOptions options() const;
  std::unique_ptr<AuditLog> open_log(AuditLogOptions options);
  std::unique_ptr<AuditLog> open_log() { return open_log(options()); }
  // Records `n` events "verify" for users u<first>..; asserts each succeeds.
  void record_events(AuditLog& log, int n, int first = 0);

  std::filesystem::path current() const { return dir_ / "audit.jsonl"; }
  // Verifies every file of the directory with the public key and the seal key.
  VerifyReport verify_all();
  VerifyReport verify(const std::vector<std::filesystem::path>& files);

  std::filesystem::path dir_;
  std::shared_ptr<SoftwareAuditKeys> keys_ = std::make_shared<SoftwareAuditKeys>();
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>(1'800'000'000);
};

AuditRecord event(std::string user, std::string outcome = "valid");
std::vector<std::string> read_lines(const std::filesystem::path& file);
// Writes `lines`, each followed by '\n'.
void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines);
std::string read_text(const std::filesystem::path& file);
// A JSON member as text: strings unquoted, anything else serialized.
inline std::string str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}
// True if some problem is at `line` of a file named `name` and mentions `words`.
bool has_problem(const VerifyReport& report, const std::string& name, std::size_t line,
                 const std::string& words = "");

}  // namespace hsm2fa::audit::testing
