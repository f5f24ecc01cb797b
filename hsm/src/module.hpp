// A loaded PKCS#11 module. One C_Initialize per module per process however many Tokens use it:
// Module::load shares a live instance by path, and the last owner's destructor calls C_Finalize
// and unloads the library.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "cryptoki.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::hsm {

class Module {
 public:
  // Errc::config when the library cannot be loaded or has no C_GetFunctionList; the C_Initialize
  // error otherwise.
  static Result<std::shared_ptr<Module>> load(const std::string& path);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Calls made outside any Token (slot listing, init_token) are counted here.
  Cryptoki cryptoki() const noexcept { return Cryptoki(functions_, &stats_); }
  CK_FUNCTION_LIST* functions() const noexcept { return functions_; }
  const std::string& path() const noexcept { return path_; }
  // CK_INFO.manufacturerID, trailing blanks dropped ("" if C_GetInfo fails).
  std::string manufacturer() const;

  // C_Finalize then C_Initialize: everything the module held for this process (sessions, logins,
  // session objects, handles) is gone after it, and handle numbers may be reused. Only for a
  // module this instance initialised and no other Module owner shares (Errc::config otherwise);
  // the caller must have closed its own sessions first. If C_Initialize fails the module stays
  // finalised and `initialized()` is false until a later reinitialize() succeeds.
  Status reinitialize();
  // Whether reinitialize() would be refused: another Module owner in this process, or the
  // module was initialised by someone else.
  bool shared() const;
  bool initialized() const noexcept { return initialized_.load(std::memory_order_acquire); }

 private:
  Module(std::string path, void* library, CK_FUNCTION_LIST* functions, bool finalize)
      : path_(std::move(path)), library_(library), functions_(functions), finalize_(finalize) {}

  std::string path_;
  void* library_;
  CK_FUNCTION_LIST* functions_;
  bool finalize_;  // false when someone else in the process had already initialised it
  std::atomic<bool> initialized_{true};
  mutable CallStats stats_;
};

}  // namespace hsm2fa::hsm
