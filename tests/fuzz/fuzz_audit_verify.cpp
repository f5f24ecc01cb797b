// The audit-log verifier (`hsm2fa audit verify`) on hostile files. Input: one knob byte, then the
// files' contents separated by NUL bytes (at most 4 files). Knob bit 0: check checkpoint
// signatures with the fixed public key below; bit 1: check seals with the fixed seal key below.
// The seed corpus is sealed and signed with these keys, so the fuzzer starts from intact chains.
// Contracts checked (src/audit/include/hsm2fa/audit/verify.hpp, src/audit/src/line_format.hpp):
// - verify_audit never crashes, leaks or fails on readable files, and counts every complete line;
// - every finding names a given file and a line that exists in it;
// - a line parse_line accepts is exactly sealed_line() of its parts (one spelling per line);
// - "intact" is true only for a chain that really is intact, recomputed here independently: every
//   line parses, seq steps by one, prev is the previous chain, chain hashes the content, every
//   seal and checkpoint signature (when checked) is right, and no file ends in a torn line
//   except one that a recovery line follows.
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/audit/verify.hpp"
#include "line_format.hpp"

namespace {

namespace audit = hsm2fa::audit;
namespace fs = std::filesystem;

void require(bool condition) {
  if (!condition) std::abort();
}

// Test-only keys, published here on purpose: they exist so that the seed corpus can be sealed
// and signed (the private half of the signing key was thrown away after signing the seeds).
constexpr std::uint8_t kSealKey[32] = {'h', 's', 'm', '2', 'f', 'a', '-', 'f', 'u', 'z', 'z',
                                       '-', 's', 'e', 'a', 'l', '-', 'k', 'e', 'y', '-', 'n',
                                       'o', 't', '-', 's', 'e', 'c', 'r', 'e', 't', '!'};
constexpr std::string_view kPublicKeyPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExYGDTSEGdRn6cnV+K111MyWfFw+u\n"
    "l37SC07Dvocf30IwcbI28ojQZD5wxJEeOzILpgXqdGiLN1RZEfQkvsbNig==\n"
    "-----END PUBLIC KEY-----\n";

audit::Digest hmac_sha256(std::span<const std::uint8_t> data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  audit::Digest out{};
  std::size_t size = 0;
  const bool ok = ctx != nullptr && EVP_MAC_init(ctx, kSealKey, sizeof kSealKey, params) == 1 &&
                  EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
                  EVP_MAC_final(ctx, out.data(), &size, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  require(ok && size == out.size());
  return out;
}

class FixedSealKeys final : public audit::AuditKeys {
 public:
  hsm2fa::Result<hsm2fa::Mac> seal(std::span<const std::uint8_t> data) override {
    const audit::Digest digest = hmac_sha256(data);
    hsm2fa::Mac mac;
    std::copy(digest.begin(), digest.end(), mac.bytes.begin());
    mac.size = digest.size();
    return mac;
  }
  hsm2fa::Result<std::vector<std::uint8_t>> sign(std::span<const std::uint8_t, 32>) override {
    return hsm2fa::make_error(hsm2fa::Errc::internal, "the verifier never signs");
  }
};

// An independent check of one checkpoint signature, not through the verifier's own class.
bool signature_ok(const audit::ParsedLine& line) {
  static EVP_PKEY* key = [] {
    BIO* bio = BIO_new_mem_buf(kPublicKeyPem.data(), static_cast<int>(kPublicKeyPem.size()));
    EVP_PKEY* k = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    require(k != nullptr);
    return k;
  }();
  auto sig = audit::from_base64(line.sig);
  if (!sig) return false;
  const std::string message = audit::checkpoint_message(line.seq, line.ts, line.chain_head);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return ctx &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) ==
             1 &&
         EVP_DigestVerify(ctx.get(), sig->data(), sig->size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

// What an intact report promises, recomputed from the files' contents.
void require_really_intact(const std::vector<std::string>& contents, bool signatures, bool seals) {
  bool first = true, torn_pending = false;
  std::uint64_t seq = 0;
  audit::Digest chain{};
  for (const auto& content : contents) {
    std::string_view rest = content;
    std::size_t number = 0;
    while (!rest.empty()) {
      ++number;
      const auto nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        require(!torn_pending);
        torn_pending = true;
        break;
      }
      auto line = audit::parse_line(rest.substr(0, nl));
      require(line.ok());
      if (torn_pending) require(line->type == "recovery" && number == 1);
      torn_pending = false;
      require(audit::chain_of(line->prev, line->canonical) == line->chain);
      if (!first) require(line->seq == seq + 1 && line->prev == chain);
      if (first && line->seq == 1) require(line->prev == audit::Digest{});
      if (seals) {
        const audit::Digest seal = hmac_sha256(line->chain);
        require(line->seal.size() == seal.size() &&
                CRYPTO_memcmp(line->seal.data(), seal.data(), seal.size()) == 0);
      }
      if (line->type == "checkpoint") {
        require(line->chain_head == hsm2fa::to_hex(line->prev));
        if (signatures) require(signature_ok(*line));
      }
      first = false;
      seq = line->seq;
      chain = line->chain;
      rest.remove_prefix(nl + 1);
    }
  }
  require(!torn_pending);
}

// Every complete line that parses is exactly the sealed form of its parts.
void require_one_spelling(std::string_view content) {
  while (true) {
    const auto nl = content.find('\n');
    if (nl == std::string_view::npos) return;
    const std::string_view text = content.substr(0, nl);
    if (auto line = audit::parse_line(text); line.ok()) {
      require(line->seq >= 1);
      require(audit::sealed_line(line->canonical, line->chain, line->seal) == text);
    }
    content.remove_prefix(nl + 1);
  }
}

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string name = (fs::temp_directory_path() / "hsm2fa-fuzz-audit-XXXXXX").string();
    require(mkdtemp(name.data()) != nullptr);
    path = name;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ScratchDir scratch;
  if (size == 0) return 0;
  const bool signatures = (data[0] & 1) != 0, seals = (data[0] & 2) != 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<std::string> contents;
  std::vector<fs::path> files;
  std::uint64_t complete_lines = 0;
  while (true) {
    const auto end = contents.size() == 3 ? std::string_view::npos : rest.find('\0');
    contents.emplace_back(rest.substr(0, end));
    files.push_back(scratch.path / ("audit-" + std::to_string(files.size()) + ".jsonl"));
    std::ofstream(files.back(), std::ios::binary | std::ios::trunc) << contents.back();
    for (char c : contents.back()) complete_lines += c == '\n';
    require_one_spelling(contents.back());
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }

  audit::VerifyOptions options;
  if (signatures) options.public_key_pem = std::string(kPublicKeyPem);
  if (seals) options.seal_keys = std::make_shared<FixedSealKeys>();
  auto report = audit::verify_audit(files, options);
  require(report.ok());
  require(report->lines == complete_lines);
  for (const auto& finding : report->problems) {
    std::size_t index = 0;
    while (index < files.size() && files[index] != finding.file) ++index;
    require(index < files.size() && finding.line >= 1);
    const std::string& content = contents[index];
    const auto lines = static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n'));
    require(finding.line <= lines + (content.ends_with('\n') || content.empty() ? 0 : 1));
  }
  if (report->intact()) require_really_intact(contents, signatures, seals);
  require(!audit::format_report(*report).empty());
  return 0;
}
