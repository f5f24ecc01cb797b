#include "mechanism_names.hpp"

#include <cstdio>
#include <utility>

namespace hsm2fa::hsm {
namespace {

#define HSM2FA_NAME(name) \
  { name, #name }

template <std::size_t N>
std::string lookup(const std::pair<CK_ULONG, const char*> (&names)[N], CK_ULONG value,
                   const char* prefix) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%s0x%lx", prefix, static_cast<unsigned long>(value));
  return buffer;
}

constexpr std::pair<CK_ULONG, const char*> kMechanisms[] = {
    HSM2FA_NAME(CKM_AES_KEY_WRAP),   HSM2FA_NAME(CKM_AES_KEY_WRAP_PAD),
    HSM2FA_NAME(CKM_SHA_1_HMAC),     HSM2FA_NAME(CKM_SHA256_HMAC),
    HSM2FA_NAME(CKM_SHA512_HMAC),    HSM2FA_NAME(CKM_ECDSA),
    HSM2FA_NAME(CKM_AES_KEY_GEN),    HSM2FA_NAME(CKM_GENERIC_SECRET_KEY_GEN),
    HSM2FA_NAME(CKM_EC_KEY_PAIR_GEN)};
constexpr std::pair<CK_ULONG, const char*> kClasses[] = {
    HSM2FA_NAME(CKO_SECRET_KEY), HSM2FA_NAME(CKO_PRIVATE_KEY), HSM2FA_NAME(CKO_PUBLIC_KEY),
    HSM2FA_NAME(CKO_DATA), HSM2FA_NAME(CKO_CERTIFICATE)};
constexpr std::pair<CK_ULONG, const char*> kKeyTypes[] = {
    HSM2FA_NAME(CKK_AES),        HSM2FA_NAME(CKK_GENERIC_SECRET), HSM2FA_NAME(CKK_EC),
    HSM2FA_NAME(CKK_RSA),        HSM2FA_NAME(CKK_SHA_1_HMAC),     HSM2FA_NAME(CKK_SHA256_HMAC),
    HSM2FA_NAME(CKK_SHA512_HMAC)};

}  // namespace

std::string mechanism_name(CK_MECHANISM_TYPE m) { return lookup(kMechanisms, m, "CKM_"); }
std::string object_class_name(CK_OBJECT_CLASS c) { return lookup(kClasses, c, "CKO_"); }
std::string key_type_name(CK_KEY_TYPE t) { return lookup(kKeyTypes, t, "CKK_"); }

}  // namespace hsm2fa::hsm
