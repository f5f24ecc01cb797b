// Canonical objects of the three line types (README.md "Line format"). Members in a fixed order;
// every string is valid UTF-8 (invalid bytes become '?') so that a verifier can parse it back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hsm2fa/audit/audit_log.hpp"
#include "line_format.hpp"

namespace hsm2fa::audit {

std::string event_object(std::uint64_t seq, std::string_view ts, std::string_view instance,
                         const AuditRecord& record, const Digest& prev);
std::string checkpoint_object(std::uint64_t seq, std::string_view ts, std::string_view instance,
                              std::string_view chain_head, std::string_view sig_base64,
                              const Digest& prev);
std::string recovery_object(std::uint64_t seq, std::string_view ts, std::string_view instance,
                            std::string_view reason, const Digest& prev);

}  // namespace hsm2fa::audit
