// Email codes: generation, the MAC they are stored as, and checking one. Private to the service.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"
#include "service_context.hpp"

namespace hsm2fa::service {

// 128 random bits as 32 lower-case hex digits: device and challenge ids, nonces.
Result<std::string> random_hex_id(RandomSource& random);

// `digits` uniformly random ASCII digits (rejection sampling: no modulo bias).
Result<SecretBytes> random_digits(RandomSource& random, int digits);

// The stored form of a code: hex of the token MAC (purpose "email-code") over
// tenant NUL user NUL code NUL issued_at, so a code is bound to its user and to its issue.
Result<std::string> email_code_mac(const ServiceContext& ctx, std::string_view tenant,
                                   std::string_view user, std::string_view code,
                                   std::int64_t issued_at);

// What the user's live email code says about `code` (already in canonical form):
// nullopt when there is no live code or `code` has a different length (email plays no part);
// else valid (the code's one use is spent), expired, replayed (spent by a concurrent call) or
// wrong_code (an attempt is counted against the live code).
Result<std::optional<VerifyReason>> check_email_code(const ServiceContext& ctx,
                                                     const EmailPolicy& policy,
                                                     std::string_view tenant, std::string_view user,
                                                     std::string_view code);

}  // namespace hsm2fa::service
