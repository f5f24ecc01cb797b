// SeedRef encodings. Token mode: "t1:<ALG>:<32 hex CKA_ID>". Wrapped mode:
// "w1:<ALG>:<p|a>:<KEK name>:<KWP|KW>:<hex wrapped seed>:<hex MAC>", where p = pending
// (exportable, under the pending KEK), a = active (locked, under the active KEK), and the MAC is
// service_mac("seed-ref", everything before the last ':') computed in the token.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::hsm {

struct TokenSeedRef {
  HashAlg alg = HashAlg::sha1;
  std::array<std::uint8_t, 16> id{};
  std::string encode() const;
};
// Errc::invalid_argument when `text` is not a token-mode ref.
Result<TokenSeedRef> decode_token_ref(std::string_view text);

struct WrappedSeedRef {
  HashAlg alg = HashAlg::sha1;
  bool pending = false;
  std::string kek;        // "kek-1" or "pending-kek": the label after the prefix
  std::string mechanism;  // "KWP" or "KW"
  std::vector<std::uint8_t> wrapped;
  std::vector<std::uint8_t> mac;
  std::string authenticated_part() const;  // what the MAC covers
  std::string encode() const;              // authenticated_part() + ":" + hex(mac)
};
// Errc::invalid_argument when `text` is not a wrapped-mode ref; Errc::tampered when it starts
// like one but does not parse. The MAC is checked by the vault.
Result<WrappedSeedRef> decode_wrapped_ref(std::string_view text);

bool from_hex(std::string_view hex, std::vector<std::uint8_t>& out);

}  // namespace hsm2fa::hsm
