// A loaded PKCS#11 module. One C_Initialize per module per process however many Tokens use it:
// Module::load shares a live instance by path, and the last owner's destructor calls C_Finalize
// and unloads the library.
#pragma once

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

 private:
  Module(std::string path, void* library, CK_FUNCTION_LIST* functions, bool finalize)
      : path_(std::move(path)), library_(library), functions_(functions), finalize_(finalize) {}

  std::string path_;
  void* library_;
  CK_FUNCTION_LIST* functions_;
  bool finalize_;  // false when someone else in the process had already initialised it
  mutable CallStats stats_;
};

}  // namespace hsm2fa::hsm
