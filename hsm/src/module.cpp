#include "module.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>

namespace hsm2fa::hsm {
namespace {

// Live modules by canonical path. Guarded by registry_mutex, which is also held across
// C_Initialize and C_Finalize so a module is never initialised twice at once.
std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<Module>>& registry() {
  static std::map<std::string, std::weak_ptr<Module>> modules;
  return modules;
}

std::string canonical_path(const std::string& path) {
  std::error_code ec;
  auto canonical = std::filesystem::canonical(path, ec);
  return ec ? path : canonical.string();
}

CK_RV initialize(const Cryptoki& ck) {
  // The module's own OS locking: safe for concurrent callers (measured: CKF_OS_LOCKING_OK without
  // callbacks makes SoftHSM2 use pthread mutexes; NULL args would disable its locking).
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  return ck.raw(HSM2FA_P11(C_Initialize), &args);
}

}  // namespace

Result<std::shared_ptr<Module>> Module::load(const std::string& path) {
  const std::string key = canonical_path(path);
  std::lock_guard lock(registry_mutex);
  if (auto live = registry()[key].lock()) return live;

  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    return make_error(Errc::config, "PKCS#11 module " + path + " cannot be loaded: " +
                                        (why != nullptr ? why : "unknown error"));
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(library, "C_GetFunctionList"));
  CK_FUNCTION_LIST* functions = nullptr;
  if (get_list == nullptr || get_list(&functions) != CKR_OK || functions == nullptr) {
    dlclose(library);
    return make_error(Errc::config, "PKCS#11 module " + path + " has no usable C_GetFunctionList");
  }
  CallStats init_stats;
  CK_RV rv = initialize(Cryptoki(functions, &init_stats));
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    dlclose(library);
    Error error = Cryptoki::error("C_Initialize", rv);
    error.message = "PKCS#11 module " + path + ": " + error.message;
    return error;
  }
  std::shared_ptr<Module> module(
      new Module(path, library, functions, rv != CKR_CRYPTOKI_ALREADY_INITIALIZED));
  registry()[key] = module;
  return module;
}

std::string Module::manufacturer() const {
  CK_INFO info{};
  if (cryptoki().raw(HSM2FA_P11(C_GetInfo), &info) != CKR_OK) return {};
  std::string text(reinterpret_cast<const char*>(info.manufacturerID), sizeof info.manufacturerID);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  return text;
}

namespace {

// Requires registry_mutex: Module::load hands out another owner only under it.
long owners_locked(const std::string& path) {
  const auto entry = registry().find(canonical_path(path));
  return entry == registry().end() ? 0 : entry->second.use_count();
}

}  // namespace

bool Module::shared() const {
  std::lock_guard lock(registry_mutex);
  return !finalize_ || owners_locked(path_) != 1;
}

Status Module::reinitialize() {
  std::lock_guard lock(registry_mutex);
  if (!finalize_ || owners_locked(path_) != 1) {
    return make_error(Errc::config, "PKCS#11 module " + path_ +
                                        " is shared in this process; not re-initialising it");
  }
  if (initialized()) {
    initialized_.store(false, std::memory_order_release);
    CK_RV rv = cryptoki().raw(HSM2FA_P11(C_Finalize), nullptr);
    if (rv != CKR_OK) spdlog::warn("PKCS#11 module {}: C_Finalize: {}", path_, ckr_name(rv));
  }
  CK_RV rv = initialize(cryptoki());
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    Error error = Cryptoki::error("C_Initialize", rv);
    error.code = Errc::hsm_unavailable;
    error.message = "PKCS#11 module " + path_ + ": " + error.message;
    return error;
  }
  initialized_.store(true, std::memory_order_release);
  return {};
}

Module::~Module() {
  std::lock_guard lock(registry_mutex);
  if (finalize_ && initialized()) {
    CK_RV rv = cryptoki().raw(HSM2FA_P11(C_Finalize), nullptr);
    if (rv != CKR_OK) spdlog::warn("PKCS#11 module {}: C_Finalize: {}", path_, ckr_name(rv));
  }
  dlclose(library_);  // drops our reference only; another user of the library keeps its own
}

}  // namespace hsm2fa::hsm
