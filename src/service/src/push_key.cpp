#include "push_key.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

namespace hsm2fa::service {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct BioDeleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

constexpr std::size_t kMaxPem = 1024;  // a P-256 SPKI in PEM is ~180 bytes

Pkey read_p256(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPem) return nullptr;
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key || !EVP_PKEY_is_a(key.get(), "EC")) return nullptr;
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &len) != 1 ||
      std::string_view(group, len) != "prime256v1") {
    return nullptr;
  }
  return key;
}

}  // namespace

Status check_p256_public_key(std::string_view pem) {
  if (!read_p256(pem)) {
    return make_error(Errc::invalid_argument,
                      "\"public_key\" must be a PEM SubjectPublicKeyInfo of an EC P-256 key");
  }
  return {};
}

bool verify_p256_signature(std::string_view pem, std::string_view message,
                           std::string_view der_signature) {
  Pkey key = read_p256(pem);
  if (!key || der_signature.empty() || der_signature.size() > 80) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(),
                                      nullptr) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der_signature.data()),
                          der_signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace hsm2fa::service
