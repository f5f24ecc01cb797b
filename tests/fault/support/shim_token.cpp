#include "support/shim_token.hpp"

#include <dlfcn.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <openssl/core_names.h>
#include <openssl/evp.h>

namespace hsm2fa::fault::testing {
namespace {

constexpr std::string_view kSoPin = "13579135";
constexpr std::string_view kLabel = "hsm2fa-fault-test";

std::string describe(const char* function, CK_RV rv) {
  char text[96];
  std::snprintf(text, sizeof text, "%s returned 0x%lx", function, static_cast<unsigned long>(rv));
  return text;
}

CK_UTF8CHAR_PTR pin_bytes(std::string_view pin) {
  return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data()));
}

// The module, loaded once per process as a host would (RTLD_LOCAL); it is never unloaded, so its
// state carries over between tests, which is what C_Initialize re-reading the environment is for.
CK_FUNCTION_LIST* shim_function_list(std::string& error) {
  static void* const handle = ::dlopen(HSM2FA_FAULT_SHIM_PATH, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    error = std::string("dlopen of the fault module failed: ") + ::dlerror();
    return nullptr;
  }
  auto* get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* list = nullptr;
  if (get_list == nullptr) {
    error = "the fault module exports no C_GetFunctionList";
  } else if (CK_RV rv = get_list(&list); rv != CKR_OK) {
    error = describe("C_GetFunctionList", rv);
  }
  return list;
}

std::array<CK_UTF8CHAR, 32> padded_label() {
  std::array<CK_UTF8CHAR, 32> label;
  label.fill(' ');
  std::copy(kLabel.begin(), kLabel.end(), label.begin());
  return label;
}

}  // namespace

bool softhsm_available() { return std::filesystem::exists(kSoftHsmModule); }

std::unique_ptr<ShimToken> ShimToken::open(const Options& options, std::string& error) {
  std::unique_ptr<ShimToken> token(new ShimToken);
  error = token->initialise(options);
  if (!error.empty()) token.reset();
  return token;
}

std::string ShimToken::initialise(const Options& options) {
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "hsm2fa-fault-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) return "mkdtemp failed";
  dir_ = dir_template;
  std::filesystem::create_directory(dir_ / "tokens");
  std::ofstream(dir_ / "softhsm2.conf") << "directories.tokendir = " << (dir_ / "tokens").string()
                                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
  ::setenv("HSM2FA_FAULT_CONTROL", (dir_ / "control").c_str(), 1);
  ::setenv("HSM2FA_FAULT_STATS", (dir_ / "stats").c_str(), 1);
  ::setenv("HSM2FA_FAULT_STATS_INTERVAL_MS", options.stats_interval_ms.c_str(), 1);
  ::setenv("HSM2FA_FAULT_SEED", "20260101", 1);

  std::string error;
  p11_ = shim_function_list(error);
  if (p11_ == nullptr) return error;
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  if (CK_RV rv = p11_->C_Initialize(&args); rv != CKR_OK) return describe("C_Initialize", rv);
  initialized_ = true;

  CK_ULONG count = 1;
  CK_SLOT_ID fresh = 0;
  if (CK_RV rv = p11_->C_GetSlotList(CK_FALSE, &fresh, &count); rv != CKR_OK || count < 1) {
    return describe("C_GetSlotList", rv);
  }
  auto label = padded_label();
  if (CK_RV rv = p11_->C_InitToken(fresh, pin_bytes(kSoPin), kSoPin.size(), label.data());
      rv != CKR_OK) {
    return describe("C_InitToken", rv);
  }
  // SoftHSM2 renumbers an initialised token's slot: find it again by label.
  std::vector<CK_SLOT_ID> slots(8);
  count = slots.size();
  if (CK_RV rv = p11_->C_GetSlotList(CK_TRUE, slots.data(), &count); rv != CKR_OK) {
    return describe("C_GetSlotList", rv);
  }
  bool found = false;
  for (CK_ULONG i = 0; i < count && !found; ++i) {
    CK_TOKEN_INFO info{};
    found = p11_->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
            std::equal(label.begin(), label.end(), info.label);
    if (found) slot_ = slots[i];
  }
  if (!found) return "the initialised token is not in the slot list";

  const CK_FLAGS flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
  if (CK_RV rv = p11_->C_OpenSession(slot_, flags, nullptr, nullptr, &session_); rv != CKR_OK) {
    return describe("C_OpenSession", rv);
  }
  if (CK_RV rv = p11_->C_Login(session_, CKU_SO, pin_bytes(kSoPin), kSoPin.size()); rv != CKR_OK) {
    return describe("C_Login(SO)", rv);
  }
  if (CK_RV rv = p11_->C_InitPIN(session_, pin_bytes(kUserPin), kUserPin.size()); rv != CKR_OK) {
    return describe("C_InitPIN", rv);
  }
  if (CK_RV rv = p11_->C_Logout(session_); rv != CKR_OK) return describe("C_Logout", rv);
  if (CK_RV rv = p11_->C_Login(session_, CKU_USER, pin_bytes(kUserPin), kUserPin.size());
      rv != CKR_OK) {
    return describe("C_Login(USER)", rv);
  }
  return {};
}

ShimToken::~ShimToken() {
  if (initialized_) p11_->C_Finalize(nullptr);
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

void ShimToken::set_rules(std::string_view text) const {
  const auto temporary = dir_ / "control.tmp";
  std::ofstream(temporary, std::ios::binary | std::ios::trunc) << text;
  std::filesystem::rename(temporary, dir_ / "control");
}

void ShimToken::remove_rules() const { std::filesystem::remove(dir_ / "control"); }

std::map<std::string, CallCount> ShimToken::stats() const {
  std::map<std::string, CallCount> counts;
  std::ifstream in(dir_ / "stats");
  std::string function;
  CallCount count;
  while (in >> function >> count.calls >> count.faults) counts[function] = count;
  return counts;
}

CK_RV ShimToken::generate_hmac_key(CK_OBJECT_HANDLE& key) const {
  CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
  CK_KEY_TYPE key_type = CKK_GENERIC_SECRET;
  CK_ULONG length = 20;
  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  CK_ATTRIBUTE attributes[] = {
      {CKA_CLASS, &key_class, sizeof key_class},
      {CKA_KEY_TYPE, &key_type, sizeof key_type},
      {CKA_VALUE_LEN, &length, sizeof length},
      {CKA_TOKEN, &no, sizeof no},
      {CKA_SIGN, &yes, sizeof yes},
      {CKA_SENSITIVE, &no, sizeof no},
      {CKA_EXTRACTABLE, &yes, sizeof yes},
  };
  CK_MECHANISM mechanism{CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
  return p11_->C_GenerateKey(session_, &mechanism, attributes, std::size(attributes), &key);
}

CK_RV ShimToken::key_value(CK_OBJECT_HANDLE key, std::vector<unsigned char>& value) const {
  value.assign(64, 0);
  CK_ATTRIBUTE attribute{CKA_VALUE, value.data(), value.size()};
  const CK_RV rv = p11_->C_GetAttributeValue(session_, key, &attribute, 1);
  value.resize(rv == CKR_OK ? attribute.ulValueLen : 0);
  return rv;
}

CK_RV ShimToken::sign(CK_OBJECT_HANDLE key, std::string_view data, std::vector<unsigned char>& mac,
                      CK_RV& sign_rv) const {
  CK_MECHANISM mechanism{CKM_SHA_1_HMAC, nullptr, 0};
  const CK_RV init_rv = p11_->C_SignInit(session_, &mechanism, key);
  if (init_rv != CKR_OK) return init_rv;
  mac.assign(64, 0);
  CK_ULONG length = mac.size();
  auto* bytes = reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(data.data()));
  sign_rv = p11_->C_Sign(session_, bytes, data.size(), mac.data(), &length);
  mac.resize(sign_rv == CKR_OK ? length : 0);
  return init_rv;
}

std::vector<unsigned char> openssl_hmac_sha1(const std::vector<unsigned char>& key,
                                             std::string_view data) {
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                        &EVP_MAC_free);
  if (!mac) return {};
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> context(EVP_MAC_CTX_new(mac.get()),
                                                                    &EVP_MAC_CTX_free);
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  std::vector<unsigned char> out(EVP_MAX_MD_SIZE);
  std::size_t length = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (!context || EVP_MAC_init(context.get(), key.data(), key.size(), params) != 1 ||
      EVP_MAC_update(context.get(), bytes, data.size()) != 1 ||
      EVP_MAC_final(context.get(), out.data(), &length, out.size()) != 1) {
    return {};
  }
  out.resize(length);
  return out;
}

}  // namespace hsm2fa::fault::testing
