#include "hsm2fa/otp/software_hmac_oracle.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <string>

#include "hsm2fa/secret.hpp"

namespace hsm2fa::otp {
namespace {

struct MacDeleter {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};
using MacPtr = std::unique_ptr<EVP_MAC, MacDeleter>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

Error openssl_error(const char* what) { return make_error(Errc::internal, what); }

}  // namespace

struct SoftwareHmacOracle::Impl {
  HashAlg alg;
  SecretBytes key;
  MacPtr mac;
  MacCtxPtr ctx;  // keyed once in create(); re-initialised without a key per counter
};

SoftwareHmacOracle::SoftwareHmacOracle(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SoftwareHmacOracle::~SoftwareHmacOracle() = default;

Result<std::unique_ptr<SoftwareHmacOracle>> SoftwareHmacOracle::create(
    HashAlg alg, std::span<const std::uint8_t> key) {
  if (key.empty()) return make_error(Errc::invalid_argument, "HMAC key is empty");
  auto impl = std::make_unique<Impl>(Impl{alg, SecretBytes(key), nullptr, nullptr});
  impl->mac.reset(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
  if (!impl->mac) return openssl_error("EVP_MAC_fetch(HMAC) failed");
  impl->ctx.reset(EVP_MAC_CTX_new(impl->mac.get()));
  if (!impl->ctx) return openssl_error("EVP_MAC_CTX_new failed");
  std::string digest(to_string(alg));
  const std::array<OSSL_PARAM, 2> params{
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(impl->ctx.get(), impl->key.data(), impl->key.size(), params.data()) != 1) {
    return openssl_error("EVP_MAC_init failed");
  }
  return std::unique_ptr<SoftwareHmacOracle>(new SoftwareHmacOracle(std::move(impl)));
}

HashAlg SoftwareHmacOracle::algorithm() const noexcept { return impl_->alg; }

Result<std::vector<Mac>> SoftwareHmacOracle::mac_counters(std::span<const std::uint64_t> counters) {
  std::vector<Mac> macs(counters.size());
  for (std::size_t i = 0; i < counters.size(); ++i) {
    std::array<std::uint8_t, 8> be{};
    for (int b = 0; b < 8; ++b) be[b] = static_cast<std::uint8_t>(counters[i] >> (56 - 8 * b));
    std::size_t len = 0;
    if (EVP_MAC_init(impl_->ctx.get(), nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(impl_->ctx.get(), be.data(), be.size()) != 1 ||
        EVP_MAC_final(impl_->ctx.get(), macs[i].bytes.data(), &len, macs[i].bytes.size()) != 1) {
      for (Mac& m : macs) secure_wipe(m.bytes.data(), m.bytes.size());
      return openssl_error("HMAC computation failed");
    }
    macs[i].size = len;
  }
  return macs;
}

}  // namespace hsm2fa::otp
