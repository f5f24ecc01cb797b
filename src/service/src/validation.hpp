// Input and configuration rules of API v1. Private to the service module.
#pragma once

#include <string_view>

#include "hsm2fa/result.hpp"
#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::service {

// 1-128 bytes of [A-Za-z0-9._@+-]: tenants and users.
bool is_identifier(std::string_view s) noexcept;

// Exactly 6 or 8 ASCII digits. Checked before anything else looks at a code, so that no
// variant of a code (spaces, other digit scripts) ever reaches the replay guard.
bool is_code_format(std::string_view code) noexcept;

// Enrollment periods accepted, in seconds. Below 15 s a user cannot type a code in time;
// above 300 s a code lives longer than any authenticator app expects.
inline constexpr int kMinPeriod = 15;
inline constexpr int kMaxPeriod = 300;
inline constexpr int kMaxWindow = 10;
inline constexpr std::size_t kMaxReasonBytes = 1024;

bool is_digits(int digits) noexcept;  // 6 or 8

// A printable reason for an admin change (audited): 1-1024 bytes, no control characters, not
// only spaces.
bool is_reason(std::string_view reason) noexcept;

// An address a mail relay can take: local@domain, at most 254 bytes, no spaces, controls,
// quotes or angle brackets (nothing that could end or extend an SMTP command or header).
bool is_email_address(std::string_view address) noexcept;
bool is_period(int period) noexcept;

Status validate_config(const ServiceConfig& config);

}  // namespace hsm2fa::service
