// Fault injection for tests: a process-wide hook consulted before every C_* call made through the
// token layer's choke point. Production code never sets it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace hsm2fa::hsm {

// Given the function name ("C_SignInit"), return a CK_RV to make that call fail with it (the
// module is then not called), or nullopt to let the call through. Also usable to count calls.
using FaultHook = std::function<std::optional<unsigned long>(std::string_view function)>;

// Replaces the hook; an empty function removes it. Thread-safe.
void set_fault_hook(FaultHook hook);

// Common CK_RV values for hooks, so tests need not include pkcs11.h.
inline constexpr unsigned long kCkrDeviceRemoved = 0x32;
inline constexpr unsigned long kCkrSessionHandleInvalid = 0xb3;
inline constexpr unsigned long kCkrPinLocked = 0xa4;

}  // namespace hsm2fa::hsm
