#include "hsm2fa/audit/verify.hpp"

#include <openssl/crypto.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "checkpoint_signature.hpp"
#include "line_format.hpp"

namespace hsm2fa::audit {
namespace {

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::not_found, "cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return make_error(Errc::not_found, "cannot read " + path.string());
  return std::move(out).str();
}

// Walks the lines in order, carrying the chain from one to the next. After a problem it resyncs
// on what the line itself says, so that one tampering is reported where it happened rather than
// on every later line.
class ChainWalk {
 public:
  ChainWalk(VerifyReport& report, const std::optional<CheckpointVerifier>& verifier,
            AuditKeys* seal_keys)
      : report_(report), verifier_(verifier), seal_keys_(seal_keys) {}

  Status line(const std::filesystem::path& file, std::size_t number, std::string_view text) {
    ++report_.lines;
    auto parsed = parse_line(text);
    if (!parsed) {
      problem(file, number, parsed.error().message);
      resolve_torn(false);
      synced_ = false;
      return {};
    }
    resolve_torn(parsed->type == "recovery" && number == 1);
    std::vector<std::string> issues;
    if (chain_of(parsed->prev, parsed->canonical) != parsed->chain) {
      issues.push_back("edited: its content does not hash to its chain value");
    }
    if (synced_) {
      if (parsed->seq != seq_ + 1) {
        issues.push_back("seq " + std::to_string(parsed->seq) + " follows seq " +
                         std::to_string(seq_) + " (a line was removed, inserted or reordered)");
      }
      if (parsed->prev != chain_) {
        issues.push_back(
            "prev is not the previous line's chain value (a line was removed, "
            "inserted or reordered)");
      }
    } else if (!started_) {
      start(file, number, *parsed, issues);
    }
    started_ = true;
    if (auto status = check_seal(*parsed, issues); !status) return status;
    if (parsed->type == "checkpoint") check_checkpoint(*parsed, issues);
    if (parsed->type == "event") ++report_.events;
    if (parsed->type == "recovery") note(file, number, "recovery record (see its reason)");
    if (!issues.empty()) {
      std::string what = issues.front();
      for (std::size_t i = 1; i < issues.size(); ++i) what += "; " + issues[i];
      problem(file, number, std::move(what));
    }
    seq_ = parsed->seq;
    chain_ = parsed->chain;
    synced_ = true;
    report_.last_seq = seq_;
    report_.chain_head = to_hex(chain_);
    return {};
  }

  void torn(const std::filesystem::path& file, std::size_t number, std::size_t bytes) {
    torn_ =
        Finding{file, number, "torn last line (" + std::to_string(bytes) + " bytes, no newline)"};
  }

  // At the end: a torn line nobody recovered from is a problem.
  void finish() { resolve_torn(false); }

 private:
  void start(const std::filesystem::path& file, std::size_t number, const ParsedLine& first,
             std::vector<std::string>& issues) {
    report_.first_seq = first.seq;
    if (first.seq == 1) {
      if (first.prev != Digest{}) issues.push_back("the first line (seq 1) has a non-zero prev");
    } else {
      note(file, number,
           "the chain starts at seq " + std::to_string(first.seq) +
               ": earlier files were not given, so this line's prev is taken on trust");
    }
  }

  Status check_seal(const ParsedLine& parsed, std::vector<std::string>& issues) {
    if (seal_keys_ == nullptr) return {};
    auto seal = seal_keys_->seal(parsed.chain);
    if (!seal) return std::move(seal).error();
    if (seal->size != parsed.seal.size() ||
        CRYPTO_memcmp(seal->bytes.data(), parsed.seal.data(), seal->size) != 0) {
      issues.push_back("the seal does not match its chain value (not written by this token)");
    } else {
      ++report_.seals_verified;
    }
    return {};
  }

  void check_checkpoint(const ParsedLine& parsed, std::vector<std::string>& issues) {
    ++report_.checkpoints;
    if (parsed.chain_head != to_hex(parsed.prev)) {
      issues.push_back("checkpoint: chain_head is not the previous line's chain value");
    }
    if (!verifier_) return;
    auto sig = from_base64(parsed.sig);
    const std::string message = checkpoint_message(parsed.seq, parsed.ts, parsed.chain_head);
    if (!sig || !verifier_->verify(message, *sig)) {
      issues.push_back("checkpoint: the signature does not verify with the public key");
    } else {
      ++report_.checkpoints_verified;
    }
  }

  void resolve_torn(bool recovered) {
    if (!torn_) return;
    if (recovered) {
      torn_->what += ", recorded by the recovery line that follows it";
      report_.notes.push_back(std::move(*torn_));
    } else {
      torn_->what += ", and no recovery line follows it (truncated or crashed)";
      report_.problems.push_back(std::move(*torn_));
    }
    torn_.reset();
  }

  void problem(const std::filesystem::path& file, std::size_t number, std::string what) {
    report_.problems.push_back(Finding{file, number, std::move(what)});
  }
  void note(const std::filesystem::path& file, std::size_t number, std::string what) {
    report_.notes.push_back(Finding{file, number, std::move(what)});
  }

  VerifyReport& report_;
  const std::optional<CheckpointVerifier>& verifier_;
  AuditKeys* seal_keys_;
  bool started_ = false;  // the first parsable line was seen
  bool synced_ = false;   // seq_ and chain_ hold the previous line's values
  std::uint64_t seq_ = 0;
  Digest chain_{};
  std::optional<Finding> torn_;
};

}  // namespace

Result<VerifyReport> verify_audit(std::span<const std::filesystem::path> files,
                                  const VerifyOptions& options) {
  if (files.empty()) return make_error(Errc::invalid_argument, "no audit files given");
  std::optional<CheckpointVerifier> verifier;
  if (options.public_key_pem) {
    auto loaded = CheckpointVerifier::from_pem(*options.public_key_pem);
    if (!loaded) return std::move(loaded).error();
    verifier.emplace(std::move(*loaded));
  }
  VerifyReport report;
  ChainWalk walk(report, verifier, options.seal_keys.get());
  for (const auto& file : files) {
    auto text = read_file(file);
    if (!text) return std::move(text).error();
    std::string_view rest = *text;
    std::size_t number = 0;
    while (!rest.empty()) {
      ++number;
      const auto nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        walk.torn(file, number, rest.size());
        break;
      }
      if (auto status = walk.line(file, number, rest.substr(0, nl)); !status) {
        return std::move(status).error();
      }
      rest.remove_prefix(nl + 1);
    }
  }
  walk.finish();
  if (report.checkpoints > 0 && !verifier) {
    report.notes.push_back(
        Finding{{},
                0,
                std::to_string(report.checkpoints) +
                    " checkpoint signature(s) not checked: no public key given"});
  }
  if (!options.seal_keys) {
    report.notes.push_back(Finding{{}, 0, "seals not checked: the token was not used"});
  }
  return report;
}

std::string format_report(const VerifyReport& report) {
  std::string out;
  auto put = [&](const char* kind, const Finding& f) {
    if (!f.file.empty()) out += f.file.string() + ":" + std::to_string(f.line) + ": ";
    out += kind;
    out += f.what + "\n";
  };
  for (const auto& f : report.problems) put("", f);
  for (const auto& f : report.notes) put("note: ", f);
  out += report.intact() ? "intact: " : "NOT intact: ";
  out += std::to_string(report.problems.size()) + " problem(s), " + std::to_string(report.lines) +
         " lines (seq " + std::to_string(report.first_seq) + ".." +
         std::to_string(report.last_seq) + "), " + std::to_string(report.checkpoints) +
         " checkpoints (" + std::to_string(report.checkpoints_verified) +
         " signatures verified), " + std::to_string(report.seals_verified) + " seals verified\n";
  return out;
}

}  // namespace hsm2fa::audit
