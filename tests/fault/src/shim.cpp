// The module itself: C_GetFunctionList hands out a function list whose every entry counts the call,
// asks the control file for a fault, and otherwise forwards to the real module.
#include <dlfcn.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <p11-kit/pkcs11.h>

#include "call_stats.hpp"
#include "control_file.hpp"
#include "cryptoki_functions.hpp"

namespace hsm2fa::fault {
namespace {

constexpr const char* kDefaultModule = "/usr/lib/softhsm/libsofthsm2.so";
constexpr std::chrono::milliseconds kDefaultStatsInterval{100};

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::optional<std::uint64_t> environment_number(const char* name) {
  const std::string text = environment(name);
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0') {
    std::fprintf(stderr, "hsm2fa_fault_p11: ignoring %s: not a number\n", name);
    return std::nullopt;
  }
  return value;
}

struct Shim {
  std::mutex load_mutex;
  CK_FUNCTION_LIST* real = nullptr;  // set once, under load_mutex; the module is never unloaded
  CK_FUNCTION_LIST forwarding{};
  ControlFile control;
  CallStats stats;

  // Read at load and at every C_Initialize, so one process can run several scenarios.
  void configure_from_environment() {
    control.watch(environment("HSM2FA_FAULT_CONTROL"), environment_number("HSM2FA_FAULT_SEED"));
    const auto interval = environment_number("HSM2FA_FAULT_STATS_INTERVAL_MS");
    stats.publish_to(environment("HSM2FA_FAULT_STATS"),
                     interval ? std::chrono::milliseconds(*interval) : kDefaultStatsInterval);
  }
};

// Never destroyed: a host may still call C_Finalize from its own static destructors, after ours
// would have run.
Shim& shim() {
  static Shim* const instance = new Shim;
  return *instance;
}

constexpr std::size_t index_of(std::string_view name) { return *function_index(name); }

template <typename Call>
CK_RV call_through(std::size_t function, Call&& call) {
  Shim& s = shim();
  s.stats.count_call(function);
  const std::optional<Fault> fault = s.control.decide(function);
  if (fault) s.stats.count_fault(function);
  CK_RV rv = CKR_OK;
  if (fault && fault->kind == Fault::Kind::error) {
    rv = fault->rv;
  } else {
    if (fault) std::this_thread::sleep_for(fault->stall);
    rv = call(*s.real);
  }
  s.stats.after_call(function, fault.has_value());
  return rv;
}

template <auto Member, std::size_t Index>
struct Forward;

// One entry of the forwarding list: same signature as the real entry. Arguments (PINs included)
// are passed through untouched and never recorded.
template <typename... Args, CK_RV (*CK_FUNCTION_LIST::*Member)(Args...), std::size_t Index>
struct Forward<Member, Index> {
  static CK_RV call(Args... args) {
    if constexpr (Index == index_of("C_Initialize")) shim().configure_from_environment();
    return call_through(Index, [&](CK_FUNCTION_LIST& real) -> CK_RV {
      if (real.*Member == nullptr) return CKR_FUNCTION_NOT_SUPPORTED;
      return (real.*Member)(args...);
    });
  }
};

CK_FUNCTION_LIST forwarding_list() {
  CK_FUNCTION_LIST list{};
  list.version = {2, 40};
#define HSM2FA_FAULT_FORWARD(name) \
  list.name = &Forward<&CK_FUNCTION_LIST::name, index_of(#name)>::call;
  HSM2FA_FAULT_CRYPTOKI_FUNCTIONS(HSM2FA_FAULT_FORWARD)
#undef HSM2FA_FAULT_FORWARD
  list.C_GetFunctionList = &::C_GetFunctionList;  // hands out this list, not the real one
  return list;
}

// dlopen()s the real module and asks it for its list; false (with a message) when it cannot.
bool load_real_module(Shim& s) {
  std::string path = environment("HSM2FA_FAULT_MODULE");
  if (path.empty()) path = kDefaultModule;
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    std::fprintf(stderr, "hsm2fa_fault_p11: cannot load %s: %s\n", path.c_str(), ::dlerror());
    return false;
  }
  auto* get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* real = nullptr;
  if (get_list == nullptr || get_list == &::C_GetFunctionList || get_list(&real) != CKR_OK ||
      real == nullptr) {
    std::fprintf(stderr, "hsm2fa_fault_p11: %s is not a usable PKCS#11 module\n", path.c_str());
    ::dlclose(handle);
    return false;
  }
  s.real = real;
  s.forwarding = forwarding_list();
  s.configure_from_environment();
  return true;
}

}  // namespace
}  // namespace hsm2fa::fault

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(
    CK_FUNCTION_LIST_PTR_PTR function_list) {
  using hsm2fa::fault::shim;
  if (function_list == nullptr) return CKR_ARGUMENTS_BAD;
  auto& s = shim();
  std::lock_guard lock(s.load_mutex);
  if (s.real == nullptr && !hsm2fa::fault::load_real_module(s)) return CKR_GENERAL_ERROR;
  *function_list = &s.forwarding;
  return CKR_OK;
}
