#include "recovery.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "file_io.hpp"
#include "hsm2fa/audit/audit_log.hpp"

namespace hsm2fa::audit {
namespace {

Error unparsable(const std::filesystem::path& path, const Error& error) {
  return make_error(Errc::tampered, path.filename().string() +
                                        ": the last complete line cannot continue the chain (" +
                                        error.message + "); move the file aside and verify it");
}

}  // namespace

std::vector<std::filesystem::path> audit_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> rotated;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with("audit-") && name.ends_with(".jsonl")) rotated.push_back(entry.path());
  }
  std::sort(rotated.begin(), rotated.end());
  const auto current = dir / kCurrentFile;
  if (std::filesystem::exists(current, ec)) rotated.push_back(current);
  return rotated;
}

std::string rotated_name(std::uint64_t first_seq, bool torn_only) {
  char name[64];
  std::snprintf(name, sizeof name, torn_only ? "audit-%020llu.torn.jsonl" : "audit-%020llu.jsonl",
                static_cast<unsigned long long>(first_seq));
  return name;
}

Status rotate_current(const std::filesystem::path& dir, std::uint64_t first_seq, bool torn_only) {
  const auto target = dir / rotated_name(first_seq, torn_only);
  std::error_code ec;
  if (std::filesystem::exists(target, ec)) {
    return io_error("refusing to overwrite", target, EEXIST);
  }
  std::filesystem::rename(dir / kCurrentFile, target, ec);
  if (ec) return io_error("rotating to", target, ec.value());
  return sync_dir(dir);
}

Result<RecoveredLog> recover(const std::filesystem::path& dir) {
  RecoveredLog out;
  const auto current = dir / kCurrentFile;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return io_error("no audit directory", dir, ec ? ec.value() : ENOTDIR);
  }
  std::optional<FileTail> current_tail;
  if (std::filesystem::exists(current, ec)) {
    auto tail = read_tail(current);
    if (!tail) return std::move(tail).error();
    current_tail = std::move(*tail);
  }
  // The head: the last complete line of the newest file that has one.
  auto files = audit_files(dir);
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    auto tail = *it == current ? Result<FileTail>(*current_tail) : read_tail(*it);
    if (!tail) return std::move(tail).error();
    if (!tail->last_line) continue;
    auto parsed = parse_line(*tail->last_line);
    if (!parsed) return unparsable(*it, parsed.error());
    out.seq = parsed->seq;
    out.chain = parsed->chain;
    break;
  }
  if (current_tail && current_tail->first_line) {
    auto first = parse_line(*current_tail->first_line);
    out.current_first_seq = first ? first->seq : out.seq;
  }
  if (!current_tail || current_tail->torn_bytes == 0) return out;

  const bool torn_only = !current_tail->first_line.has_value();
  const std::uint64_t name_seq = torn_only ? out.seq : out.current_first_seq;
  if (auto status = rotate_current(dir, name_seq, torn_only); !status) {
    return std::move(status).error();
  }
  out.torn = std::string("torn last line: ") + std::to_string(current_tail->torn_bytes) +
             " bytes after seq " + std::to_string(out.seq) + " in the file now named " +
             rotated_name(name_seq, torn_only) +
             " (a write was interrupted; that record was never acknowledged)";
  out.current_first_seq = 0;
  return out;
}

}  // namespace hsm2fa::audit
