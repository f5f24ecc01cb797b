// The one choke point for C_* calls. Every call into a module goes through Cryptoki::raw: it
// consults the test fault hook, counts the call and any error by CKR_* name, and logs the function
// name and result at debug level (never arguments: some are PINs or key material).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "ckr.hpp"
#include "hsm2fa/result.hpp"
#include "p11.hpp"

namespace hsm2fa::hsm {

class CallStats {
 public:
  void record(std::string_view function, CK_RV rv);
  std::uint64_t calls() const noexcept { return calls_.load(std::memory_order_relaxed); }
  // Objects the module made (C_GenerateKey, C_UnwrapKey, C_CreateObject, C_CopyObject,
  // C_DeriveKey, two per C_GenerateKeyPair) and destroyed (C_DestroyObject). SoftHSM2 keeps a
  // small record of every session object it ever destroyed until C_Finalize: module recycling
  // counts those.
  std::uint64_t objects_created() const noexcept {
    return objects_created_.load(std::memory_order_relaxed);
  }
  std::uint64_t objects_destroyed() const noexcept {
    return objects_destroyed_.load(std::memory_order_relaxed);
  }
  std::map<std::string, std::uint64_t> errors() const;

 private:
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> objects_created_{0};
  std::atomic<std::uint64_t> objects_destroyed_{0};
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> errors_;
};

namespace detail {
// The fault hook's answer for `function`, or CKR_OK to let the call through.
CK_RV injected_fault(std::string_view function);
extern std::atomic<bool> fault_hook_set;
void log_call(std::string_view function, CK_RV rv);
}  // namespace detail

// Names a function-list member together with its name for logs: HSM2FA_P11(C_SignInit).
#define HSM2FA_P11(fn) #fn, &CK_FUNCTION_LIST::fn

// A module's function list plus the statistics its calls are counted in. Cheap to copy; does not
// own the module (Module does).
class Cryptoki {
 public:
  Cryptoki(CK_FUNCTION_LIST* functions, CallStats* stats) : functions_(functions), stats_(stats) {}

  template <class... P, class... A>
  CK_RV raw(std::string_view name, CK_RV (*CK_FUNCTION_LIST::*member)(P...), A... args) const {
    CK_RV rv = CKR_OK;
    if (detail::fault_hook_set.load(std::memory_order_acquire)) rv = detail::injected_fault(name);
    if (rv == CKR_OK) {
      auto fn = functions_->*member;
      rv = fn == nullptr ? CKR_FUNCTION_NOT_SUPPORTED : fn(args...);
    }
    if (stats_ != nullptr) stats_->record(name, rv);
    detail::log_call(name, rv);
    return rv;
  }

  // raw(), with any CK_RV other than CKR_OK as an Error "C_Name: CKR_...".
  template <class... P, class... A>
  Status call(std::string_view name, CK_RV (*CK_FUNCTION_LIST::*member)(P...), A... args) const {
    CK_RV rv = raw(name, member, args...);
    if (rv == CKR_OK) return {};
    return error(name, rv);
  }

  static Error error(std::string_view function, CK_RV rv);
  // The same module, calls not counted: for probes whose refusal is the expected answer.
  Cryptoki uncounted() const noexcept { return Cryptoki(functions_, nullptr); }
  CallStats* stats() const noexcept { return stats_; }

 private:
  CK_FUNCTION_LIST* functions_;
  CallStats* stats_;
};

}  // namespace hsm2fa::hsm
