#include "checkpoint_signature.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace hsm2fa::audit {

void CheckpointVerifier::KeyFree::operator()(void* key) const noexcept {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key));
}

Result<CheckpointVerifier> CheckpointVerifier::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return make_error(Errc::internal, "out of memory");
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return make_error(Errc::invalid_argument, "not a PEM public key");
  CheckpointVerifier verifier(key);
  if (!EVP_PKEY_is_a(key, "EC")) {
    return make_error(Errc::invalid_argument, "the audit public key is not an EC key");
  }
  return verifier;
}

bool CheckpointVerifier::verify(std::string_view message,
                                std::span<const std::uint8_t> der_signature) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) return false;
  auto* key = static_cast<EVP_PKEY*>(key_.get());
  if (EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), der_signature.data(), der_signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace hsm2fa::audit
