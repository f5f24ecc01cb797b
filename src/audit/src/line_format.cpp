#include "line_format.hpp"

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>

namespace hsm2fa::audit {
namespace {

constexpr std::string_view kChainKey = R"(,"chain":")";
constexpr std::string_view kSealKey = R"(","seal":")";

Error malformed(std::string_view why) {
  return make_error(Errc::tampered, "malformed line: " + std::string(why));
}

std::string string_field(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

}  // namespace

Digest sha256(std::span<const std::uint8_t> data) {
  Digest out{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr);
  return out;
}

Digest chain_of(const Digest& prev, std::string_view canonical) {
  std::vector<std::uint8_t> input(prev.begin(), prev.end());
  input.insert(input.end(), canonical.begin(), canonical.end());
  return sha256(input);
}

namespace {
bool bytes_from_hex(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != out.size() * 2) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // lower case only: one spelling per value
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}
}  // namespace

std::optional<Digest> digest_from_hex(std::string_view text) {
  Digest out{};
  if (!bytes_from_hex(text, out)) return std::nullopt;
  return out;
}

std::string base64(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                             static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(size));
  return out;
}

std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(text.size() / 4 * 3);
  int size = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                             static_cast<int>(text.size()));
  if (size < 0) return std::nullopt;
  // EVP_DecodeBlock counts the '=' padding as zero bytes.
  std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  out.resize(static_cast<std::size_t>(size) - padding);
  return out;
}

std::string rfc3339_ms(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  const std::int64_t total = ms.count();
  std::time_t seconds = static_cast<std::time_t>(total / 1000 - (total % 1000 < 0 ? 1 : 0));
  const int millis = static_cast<int>(((total % 1000) + 1000) % 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buffer;
}

std::string sealed_line(std::string_view canonical, const Digest& chain,
                        std::span<const std::uint8_t> seal) {
  std::string line(canonical.substr(0, canonical.size() - 1));
  line += kChainKey;
  line += to_hex(chain);
  line += kSealKey;
  line += to_hex(seal);
  line += "\"}";
  return line;
}

std::string checkpoint_message(std::uint64_t seq, std::string_view ts,
                               std::string_view chain_head) {
  std::string message(kCheckpointDomain);
  message += "\n" + std::to_string(seq) + "\n";
  message += ts;
  message += "\n";
  message += chain_head;
  message += "\n";
  return message;
}

Result<ParsedLine> parse_line(std::string_view line) {
  if (line.size() <= kSealedSuffixSize || !line.ends_with("\"}")) {
    return malformed("no chain and seal at its end");
  }
  const std::size_t suffix = line.size() - kSealedSuffixSize;
  const std::string_view tail = line.substr(suffix);
  if (!tail.starts_with(kChainKey) ||
      tail.substr(kChainKey.size() + 64, kSealKey.size()) != kSealKey) {
    return malformed("no chain and seal at its end");
  }
  ParsedLine parsed;
  auto chain = digest_from_hex(tail.substr(kChainKey.size(), 64));
  parsed.seal.resize(32);
  if (!chain ||
      !bytes_from_hex(tail.substr(kChainKey.size() + 64 + kSealKey.size(), 64), parsed.seal)) {
    return malformed("chain or seal is not 64 lower-case hex digits");
  }
  parsed.chain = *chain;
  parsed.canonical = std::string(line.substr(0, suffix)) + "}";

  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(parsed.canonical, ec);
  if (ec || !value.is_object()) return malformed("not a JSON object");
  const auto& object = value.as_object();
  parsed.type = string_field(object, "type");
  parsed.ts = string_field(object, "ts");
  const auto* seq = object.if_contains("seq");
  if (seq == nullptr || !(seq->is_uint64() || seq->is_int64())) return malformed("no seq");
  if (seq->is_int64() && seq->as_int64() < 1) return malformed("seq below 1");
  parsed.seq = seq->is_uint64() ? seq->as_uint64() : static_cast<std::uint64_t>(seq->as_int64());
  auto prev = digest_from_hex(string_field(object, "prev"));
  if (!prev) return malformed("prev is not 64 lower-case hex digits");
  parsed.prev = *prev;
  parsed.chain_head = string_field(object, "chain_head");
  parsed.sig = string_field(object, "sig");
  if (parsed.type != "event" && parsed.type != "checkpoint" && parsed.type != "recovery") {
    return malformed("unknown type");
  }
  return parsed;
}

}  // namespace hsm2fa::audit
