// The offline verifier behind `hsm2fa audit verify FILES… [--pubkey PEM]`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hsm2fa/audit/audit_keys.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::audit {

struct Finding {
  std::filesystem::path file;
  std::size_t line = 0;  // 1-based line number in `file`
  std::string what;
};

struct VerifyReport {
  // Every edited, inserted, removed or reordered line, broken checkpoint and bad seal, in file
  // order. Empty means the chain is intact: the only state in which the CLI exits 0.
  std::vector<Finding> problems;
  // Not failures, but an auditor should read them: recoveries after a crash, a first line whose
  // predecessor was not given, what could not be checked.
  std::vector<Finding> notes;
  std::uint64_t lines = 0, events = 0, checkpoints = 0;
  std::uint64_t checkpoints_verified = 0, seals_verified = 0;
  std::uint64_t first_seq = 0, last_seq = 0;
  std::string chain_head;  // hex chain value of the last line
  bool intact() const noexcept { return problems.empty(); }
};

struct VerifyOptions {
  // SubjectPublicKeyInfo PEM of the audit signing key (`hsm2fa audit pubkey`): checkpoints'
  // signatures are checked when given.
  std::optional<std::string> public_key_pem;
  // With the token at hand: every line's seal is recomputed and compared.
  std::shared_ptr<AuditKeys> seal_keys;
};

// `files` in chain order (audit_files() gives it; so does the shell glob `audit*.jsonl`).
// Errors: invalid_argument (no files, a PEM that is not an EC public key), not_found (a file
// cannot be read), and the seal key's own error if it fails.
Result<VerifyReport> verify_audit(std::span<const std::filesystem::path> files,
                                  const VerifyOptions& options);

// The report as text for a terminal: one line per problem and note ("FILE:LINE: what"), then a
// summary line.
std::string format_report(const VerifyReport& report);

}  // namespace hsm2fa::audit
