// Start-up (and reopen-after-failure) recovery: where the chain stands on disk, and what to do
// with a torn last line. History is never rewritten: a torn file is renamed away as it is.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "hsm2fa/result.hpp"
#include "line_format.hpp"

namespace hsm2fa::audit {

inline constexpr const char* kCurrentFile = "audit.jsonl";

struct RecoveredLog {
  std::uint64_t seq = 0;  // of the last complete line; 0 for an empty log
  Digest chain{};
  std::uint64_t current_first_seq = 0;  // first seq in audit.jsonl; 0 if it is empty or absent
  std::string torn;  // non-empty: audit.jsonl had a torn tail, was rotated, and this says how
};

// Errors: audit_unavailable (unreadable, rename failed), tampered (the last complete line does
// not parse, so the chain cannot be continued).
Result<RecoveredLog> recover(const std::filesystem::path& dir);

// Renames audit.jsonl to audit-<20-digit first seq>.jsonl (".torn.jsonl" for a torn file that
// holds no complete line, named after the last seq before it) and syncs the directory. Names sort
// in chain order. Refuses to overwrite.
std::string rotated_name(std::uint64_t first_seq, bool torn_only);
Status rotate_current(const std::filesystem::path& dir, std::uint64_t first_seq, bool torn_only);

}  // namespace hsm2fa::audit
