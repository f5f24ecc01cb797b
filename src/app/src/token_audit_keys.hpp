// The audit log's two token operations over the token layer (src/audit/README.md): seals are
// service_mac(token, "audit", chain), checkpoints are signed by the "<prefix>-audit-sign" key.
#pragma once

#include <memory>

#include "hsm2fa/audit/audit_keys.hpp"
#include "hsm2fa/hsm/token.hpp"

namespace hsm2fa::app {

// `token` must outlive the returned keys and everything holding them (the AuditLog).
std::shared_ptr<audit::AuditKeys> make_token_audit_keys(hsm::Token& token);

}  // namespace hsm2fa::app
