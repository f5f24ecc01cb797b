// RFC 7512 "pkcs11:" URIs selecting a token. Strict: only the path attributes token, serial,
// manufacturer, model and slot-id are understood; anything else (other attributes, a query,
// duplicates, bad percent-encoding) is an error rather than silently matching more tokens.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::hsm {

struct TokenUri {
  std::optional<std::string> token, serial, manufacturer, model;  // percent-decoded
  std::optional<unsigned long> slot_id;
};

// Errc::config naming the problem.
Result<TokenUri> parse_token_uri(std::string_view uri);

// What a slot offers for matching. Token info fields arrive blank-padded: pass them trimmed.
struct TokenIdentity {
  unsigned long slot_id = 0;
  std::string token, serial, manufacturer, model;
};

bool matches(const TokenUri& uri, const TokenIdentity& identity);

}  // namespace hsm2fa::hsm
