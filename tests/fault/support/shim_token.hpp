// Test support: the fault module loaded as a host would load it, in front of a throw-away SoftHSM2
// token that lives in its own temporary directory (SOFTHSM2_CONF) and is initialised through the
// module itself: C_InitToken, C_Login(SO), C_InitPIN, C_Logout, C_Login(USER).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <p11-kit/pkcs11.h>

namespace hsm2fa::fault::testing {

inline constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";
inline constexpr std::string_view kUserPin = "246810";

bool softhsm_available();

struct CallCount {
  std::uint64_t calls = 0;
  std::uint64_t faults = 0;
  friend bool operator==(const CallCount&, const CallCount&) = default;
};

class ShimToken {
 public:
  struct Options {
    std::string stats_interval_ms = "0";  // HSM2FA_FAULT_STATS_INTERVAL_MS
  };

  // A logged-in read-write user session on a fresh token, or nullptr with `error` set.
  static std::unique_ptr<ShimToken> open(const Options& options, std::string& error);
  ~ShimToken();  // C_Finalize, then removes the directory
  ShimToken(const ShimToken&) = delete;
  ShimToken& operator=(const ShimToken&) = delete;

  CK_FUNCTION_LIST& p11() const { return *p11_; }
  CK_SESSION_HANDLE session() const { return session_; }

  // Replaces the control file the way the README asks writers to: temporary file + rename.
  void set_rules(std::string_view text) const;
  void remove_rules() const;

  // The stats file as function -> counts (empty when the file does not exist).
  std::map<std::string, CallCount> stats() const;

  // A 20-byte CKK_GENERIC_SECRET session key that may sign and be read back.
  CK_RV generate_hmac_key(CK_OBJECT_HANDLE& key) const;
  CK_RV key_value(CK_OBJECT_HANDLE key, std::vector<unsigned char>& value) const;
  // C_SignInit(CKM_SHA_1_HMAC); returns its CK_RV. When it succeeds, C_Sign's goes to `sign_rv`.
  CK_RV sign(CK_OBJECT_HANDLE key, std::string_view data, std::vector<unsigned char>& mac,
             CK_RV& sign_rv) const;

 private:
  ShimToken() = default;
  std::string initialise(const Options& options);

  std::filesystem::path dir_;
  CK_FUNCTION_LIST* p11_ = nullptr;
  CK_SLOT_ID slot_ = 0;
  CK_SESSION_HANDLE session_ = CK_INVALID_HANDLE;
  bool initialized_ = false;
};

// HMAC-SHA1 computed by OpenSSL (EVP_MAC), to compare with the token's.
std::vector<unsigned char> openssl_hmac_sha1(const std::vector<unsigned char>& key,
                                             std::string_view data);

}  // namespace hsm2fa::fault::testing
