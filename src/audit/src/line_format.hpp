// The bytes of an audit line, shared by the writer and the verifier.
//
// A line is a JSON object on one line. Its canonical bytes are the object without the trailing
// "chain" and "seal" members, i.e. the line with the fixed-size suffix
//   ,"chain":"<64 hex>","seal":"<64 hex>"}
// replaced by "}". chain = SHA-256(prev chain bytes || canonical bytes), seal = AuditKeys::seal
// over the 32 chain bytes. The first line of a log has prev = 64 zeros.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/hex.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::audit {

using Digest = std::array<std::uint8_t, 32>;

inline constexpr std::string_view kCheckpointDomain = "hsm2fa-audit-checkpoint-v1";
inline constexpr std::size_t kSealedSuffixSize = 150;  // ,"chain":"…","seal":"…"}

Digest sha256(std::span<const std::uint8_t> data);
Digest chain_of(const Digest& prev, std::string_view canonical);
std::optional<Digest> digest_from_hex(std::string_view text);
std::string base64(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text);
// UTC RFC 3339 with milliseconds: 2026-11-29T05:06:06.123Z.
std::string rfc3339_ms(std::chrono::system_clock::time_point t);

// Appends the chain and seal members to a canonical object.
std::string sealed_line(std::string_view canonical, const Digest& chain,
                        std::span<const std::uint8_t> seal);

// The exact message a checkpoint signs (SHA-256, then ECDSA):
//   "hsm2fa-audit-checkpoint-v1\n<seq>\n<ts>\n<chain_head hex>\n"
std::string checkpoint_message(std::uint64_t seq, std::string_view ts, std::string_view chain_head);

// A line taken apart. Fields absent from the line are empty.
struct ParsedLine {
  std::string canonical;
  std::string type;  // "event", "checkpoint", "recovery"
  std::uint64_t seq = 0;
  std::string ts;
  Digest prev{};
  Digest chain{};
  std::vector<std::uint8_t> seal;
  std::string chain_head;  // checkpoint
  std::string sig;         // checkpoint, base64
};
// Errc::tampered with what is wrong when the line is not a well-formed sealed line.
Result<ParsedLine> parse_line(std::string_view line);

}  // namespace hsm2fa::audit
