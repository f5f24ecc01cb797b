#include "cryptoki.hpp"

#include <memory>

#include <spdlog/spdlog.h>

#include "hsm2fa/hsm/fault_hook.hpp"

namespace hsm2fa::hsm {
namespace {

std::mutex hook_mutex;
std::shared_ptr<const FaultHook> hook;

}  // namespace

namespace detail {

std::atomic<bool> fault_hook_set{false};

CK_RV injected_fault(std::string_view function) {
  std::shared_ptr<const FaultHook> current;
  {
    std::lock_guard lock(hook_mutex);
    current = hook;
  }
  if (!current || !*current) return CKR_OK;
  auto rv = (*current)(function);
  return rv ? *rv : CKR_OK;
}

void log_call(std::string_view function, CK_RV rv) {
  if (rv == CKR_OK) {
    spdlog::debug("pkcs11 {} -> CKR_OK", function);
  } else {
    spdlog::debug("pkcs11 {} -> {}", function, ckr_name(rv));
  }
}

}  // namespace detail

void set_fault_hook(FaultHook new_hook) {
  std::lock_guard lock(hook_mutex);
  bool set = static_cast<bool>(new_hook);
  hook = set ? std::make_shared<const FaultHook>(std::move(new_hook)) : nullptr;
  detail::fault_hook_set.store(set, std::memory_order_release);
}

void CallStats::record(std::string_view function, CK_RV rv) {
  calls_.fetch_add(1, std::memory_order_relaxed);
  if (rv == CKR_OK) {
    if (function == "C_GenerateKey" || function == "C_UnwrapKey" || function == "C_CreateObject" ||
        function == "C_CopyObject" || function == "C_DeriveKey") {
      objects_created_.fetch_add(1, std::memory_order_relaxed);
    } else if (function == "C_GenerateKeyPair") {
      objects_created_.fetch_add(2, std::memory_order_relaxed);
    } else if (function == "C_DestroyObject") {
      objects_destroyed_.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  std::lock_guard lock(mutex_);
  ++errors_[ckr_name(rv)];
}

std::map<std::string, std::uint64_t> CallStats::errors() const {
  std::lock_guard lock(mutex_);
  return errors_;
}

Error Cryptoki::error(std::string_view function, CK_RV rv) {
  return make_error(errc_for(rv), std::string(function) + ": " + ckr_name(rv));
}

}  // namespace hsm2fa::hsm
