// The audit log behind the service's AuditSink seam (library hsm2fa_audit_sink).
#pragma once

#include <memory>

#include "hsm2fa/audit/audit_log.hpp"
#include "hsm2fa/service/audit_sink.hpp"

namespace hsm2fa::audit {

// Each AuditEvent becomes one line with the caller's actor and request id. Failures are
// Errc::audit_unavailable (the service then fails the request).
std::shared_ptr<service::AuditSink> make_audit_sink(std::shared_ptr<AuditLog> log);

}  // namespace hsm2fa::audit
