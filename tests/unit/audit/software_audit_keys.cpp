#include "software_audit_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace hsm2fa::audit::testing {

struct SoftwareAuditKeys::State {
  std::array<std::uint8_t, 32> mac_key{};
  EVP_PKEY* ec = nullptr;
};

SoftwareAuditKeys::SoftwareAuditKeys() : state_(std::make_unique<State>()) {
  if (RAND_bytes(state_->mac_key.data(), static_cast<int>(state_->mac_key.size())) != 1 ||
      (state_->ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) == nullptr) {
    throw std::runtime_error("test key generation failed");
  }
}

SoftwareAuditKeys::~SoftwareAuditKeys() { EVP_PKEY_free(state_->ec); }

Result<Mac> SoftwareAuditKeys::seal(std::span<const std::uint8_t> data) {
  if (fail_seal) return make_error(Errc::hsm_unavailable, "seal key unavailable (test)");
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  Mac out;
  std::size_t size = 0;
  bool ok = ctx != nullptr &&
            EVP_MAC_init(ctx, state_->mac_key.data(), state_->mac_key.size(), params) == 1 &&
            EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
            EVP_MAC_final(ctx, out.bytes.data(), &size, out.bytes.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  if (!ok) return make_error(Errc::internal, "EVP_MAC failed");
  out.size = size;
  return out;
}

Result<std::vector<std::uint8_t>> SoftwareAuditKeys::sign(
    std::span<const std::uint8_t, 32> digest) {
  if (fail_sign) return make_error(Errc::hsm_unavailable, "signing key unavailable (test)");
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, state_->ec, nullptr);
  std::vector<std::uint8_t> sig(128);
  std::size_t size = sig.size();
  bool ok = ctx != nullptr && EVP_PKEY_sign_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
            EVP_PKEY_sign(ctx, sig.data(), &size, digest.data(), digest.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return make_error(Errc::internal, "EVP_PKEY_sign failed");
  sig.resize(size);
  return sig;
}

std::string SoftwareAuditKeys::public_key_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, state_->ec);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

}  // namespace hsm2fa::audit::testing
