// The seam for the audit log: every use case reports its outcome here once, before it answers.
// A sink that cannot record fails the request (Errc::audit_unavailable): no unaudited change.
// Events never carry a seed, code, PIN or pairing URI.
#pragma once

#include <memory>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::service {

struct Caller;

struct AuditEvent {
  std::string_view action;  // "totp.enroll", "totp.pairing", "totp.confirm", "verify", ...
  std::string_view tenant;
  std::string_view user;
  std::string_view outcome;  // "ok", "valid", "invalid", "rate_limited", "error", ...
  std::string_view reason;   // e.g. "wrong_code", an Errc name; empty when none
};

// Thread-safe. `record` must be durable (or fail) before it returns.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual Status record(const Caller& caller, const AuditEvent& event) = 0;
  // Whether a line could be written now (cheap, writes nothing). The service asks before a use
  // case changes anything, so an unwritable log stops the change itself, not only its answer.
  virtual Status ready() { return {}; }
};

// Records nothing; the default until the hash-chained log exists.
std::shared_ptr<AuditSink> make_no_audit_sink();

}  // namespace hsm2fa::service
