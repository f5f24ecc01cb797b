// The audit key pair as data: what provisioning sets and start-up reads back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "key_specs.hpp"
#include "session_pool.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

struct AuditKeyPair {
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;
};

// DER of the named curve prime256v1 (OID 1.2.840.10045.3.1.7), the CKA_EC_PARAMS value.
const std::vector<std::uint8_t>& p256_params();

std::vector<FlagRule> audit_private_rules();     // set and checked
std::vector<FlagRule> audit_public_rules();      // set and checked
std::vector<FlagRule> audit_provenance_rules();  // checked only (token-generated evidence)

// C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN) with every attribute above, label and CKA_ID = label.
Status generate_audit_key(SessionPool::Lease& lease, const std::string& label);

// Both halves' handles (cached per login); config error if either is missing or ambiguous.
Result<AuditKeyPair> find_audit_key(TokenImpl& token, const Session* on = nullptr);

// The public key's uncompressed point (0x04 || X || Y) from CKA_EC_POINT, which tokens return
// DER-wrapped in an OCTET STRING (some return it raw).
Result<std::vector<std::uint8_t>> audit_public_point(SessionPool::Lease& lease,
                                                     CK_OBJECT_HANDLE public_key);

}  // namespace hsm2fa::hsm
