// The audit log's token keys: an EC P-256 key pair labelled "<prefix>-audit-sign" whose private
// half signs checkpoints inside the token (CKM_ECDSA) and never leaves it, and whose public half
// is exported for `openssl` and `hsm2fa audit verify`. The seal HMAC uses the service MAC key:
// service_mac(token, "audit", chain).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::hsm {

std::string audit_key_label(std::string_view prefix);  // "<prefix>-audit-sign"

// Reads the key pair's attributes back (private: sensitive, non-extractable, ECDSA only,
// generated in the token; public: verify only; same CKA_ID, P-256) and checks that a signature
// made in the token verifies with the public key. make_seed_vault runs it at start-up. Errors:
// config (missing: "run `hsm2fa token provision`", or an attribute named), hsm_unavailable.
Status check_audit_key(Token& token);

// ECDSA over a SHA-256 digest in the token, as a DER ECDSA-Sig-Value (the token's raw r||s
// converted), so `openssl dgst -sha256 -verify pub.pem -signature sig.der msg` accepts it.
// Errors: config (no audit key), hsm_unavailable, hsm_error.
Result<std::vector<std::uint8_t>> audit_sign(Token& token,
                                             std::span<const std::uint8_t, 32> sha256_digest);

// The audit public key as SubjectPublicKeyInfo PEM, built from CKA_EC_PARAMS / CKA_EC_POINT.
Result<std::string> audit_public_key_pem(Token& token);

}  // namespace hsm2fa::hsm
