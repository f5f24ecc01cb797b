// Checkpoint signatures in the token, and the public key in a form OpenSSL reads.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "audit_key.hpp"
#include "hsm2fa/hsm/audit_key.hpp"
#include "key_check.hpp"

namespace hsm2fa::hsm {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using Sig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

Error openssl_error(std::string_view what) {
  return make_error(Errc::internal, "audit key: OpenSSL " + std::string(what) + " failed");
}

TokenImpl* impl_of(Token& token) { return dynamic_cast<TokenImpl*>(&token); }

// r || s, as the token returns it, to a DER ECDSA-Sig-Value.
Result<std::vector<std::uint8_t>> der_signature(std::span<const std::uint8_t> raw) {
  if (raw.size() != 64) {
    return make_error(Errc::hsm_error, "audit key: the token's ECDSA signature is not 64 bytes");
  }
  Sig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return openssl_error("ECDSA_SIG_set0");
  }
  int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return openssl_error("i2d_ECDSA_SIG");
  std::vector<std::uint8_t> der(static_cast<std::size_t>(size));
  unsigned char* out = der.data();
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

Result<std::vector<std::uint8_t>> sign_in_token(SessionPool::Lease& lease, CK_OBJECT_HANDLE key,
                                                std::span<const std::uint8_t, 32> digest) {
  CK_MECHANISM mechanism{CKM_ECDSA, nullptr, 0};
  if (auto status = lease.call(HSM2FA_P11(C_SignInit), &mechanism, key); !status) {
    return std::move(status).error();
  }
  std::uint8_t raw[132];  // room for any curve's r || s
  CK_ULONG size = sizeof raw;
  if (auto status = lease.call(HSM2FA_P11(C_Sign), const_cast<CK_BYTE*>(digest.data()),
                               CK_ULONG{digest.size()}, raw, &size);
      !status) {
    return std::move(status).error();
  }
  return der_signature({raw, size});
}

// EVP_PKEY_fromdata with the group name and the uncompressed point.
Result<Pkey> public_pkey(const std::vector<std::uint8_t>& point) {
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return openssl_error("OSSL_PARAM_BLD");
  }
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return make_error(Errc::config, "audit key: CKA_EC_POINT is not a P-256 public key");
  }
  return Pkey(key);
}

Result<Pkey> token_public_key(TokenImpl& token) {
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  auto pair = find_audit_key(token, &lease->session());
  if (!pair) return std::move(pair).error();
  auto params = read_bytes(lease->session(), pair->public_key, CKA_EC_PARAMS);
  if (!params) {
    lease->mark_broken_if(params.error());
    return std::move(params).error();
  }
  if (*params != p256_params()) {
    return make_error(Errc::config, "audit key: CKA_EC_PARAMS is not the P-256 curve");
  }
  auto point = audit_public_point(*lease, pair->public_key);
  if (!point) return std::move(point).error();
  return public_pkey(*point);
}

Status check_numbers(const Session& session, const AuditKeyPair& pair, const std::string& label) {
  for (CK_OBJECT_HANDLE key : {pair.private_key, pair.public_key}) {
    auto type = read_number(session, key, CKA_KEY_TYPE);
    if (!type) return std::move(type).error();
    if (*type != CKK_EC)
      return key_mismatch(label, "CKA_KEY_TYPE", std::to_string(*type), "CKK_EC");
    auto params = read_bytes(session, key, CKA_EC_PARAMS);
    if (!params) return std::move(params).error();
    if (*params != p256_params())
      return key_mismatch(label, "CKA_EC_PARAMS", "another curve", "P-256");
  }
  auto private_id = read_bytes(session, pair.private_key, CKA_ID);
  if (!private_id) return std::move(private_id).error();
  auto public_id = read_bytes(session, pair.public_key, CKA_ID);
  if (!public_id) return std::move(public_id).error();
  if (*private_id != *public_id) {
    return key_mismatch(label, "CKA_ID", "different in the two halves", "the same");
  }
  auto allowed = read_bytes(session, pair.private_key, CKA_ALLOWED_MECHANISMS);
  if (!allowed) return std::move(allowed).error();
  CK_MECHANISM_TYPE only = CKM_ECDSA;
  if (allowed->size() != sizeof only || std::memcmp(allowed->data(), &only, sizeof only) != 0) {
    return key_mismatch(label, "CKA_ALLOWED_MECHANISMS", "a different list", "CKM_ECDSA only");
  }
  return {};
}

bool verifies(EVP_PKEY* key, std::span<const std::uint8_t> message,
              std::span<const std::uint8_t> der) {
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) ==
             1 &&
         EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) == 1;
}

}  // namespace

Result<std::vector<std::uint8_t>> audit_sign(Token& token,
                                             std::span<const std::uint8_t, 32> sha256_digest) {
  auto* impl = impl_of(token);
  if (impl == nullptr) return make_error(Errc::internal, "audit_sign: not a PKCS#11 token");
  std::array<std::uint8_t, 32> digest;
  std::copy(sha256_digest.begin(), sha256_digest.end(), digest.begin());
  return impl->gate().run<std::vector<std::uint8_t>>(
      "audit signature",
      [self = impl->shared_from_this(), digest]() -> Result<std::vector<std::uint8_t>> {
        if (auto status = self->recover_if_suspect(); !status) return std::move(status).error();
        auto lease = self->lease();
        if (!lease) return std::move(lease).error();
        auto pair = find_audit_key(*self, &lease->session());
        if (!pair) return std::move(pair).error();
        return sign_in_token(*lease, pair->private_key, digest);
      });
}

Result<std::string> audit_public_key_pem(Token& token) {
  auto* impl = impl_of(token);
  if (impl == nullptr) return make_error(Errc::internal, "audit key: not a PKCS#11 token");
  auto key = token_public_key(*impl);
  if (!key) return std::move(key).error();
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key->get()) != 1) {
    return openssl_error("PEM_write_bio_PUBKEY");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Status check_audit_key(Token& token) {
  auto* impl = impl_of(token);
  if (impl == nullptr) return make_error(Errc::internal, "audit key: not a PKCS#11 token");
  const std::string label = audit_key_label(impl->config().key_prefix);
  {
    auto lease = impl->lease();
    if (!lease) return std::move(lease).error();
    const Session& session = lease->session();
    auto pair = find_audit_key(*impl, &session);
    if (!pair) return std::move(pair).error();
    auto status = check_flag_rules(session, pair->private_key, label, audit_private_rules());
    if (status)
      status = check_flag_rules(session, pair->private_key, label, audit_provenance_rules());
    if (status) status = check_flag_rules(session, pair->public_key, label, audit_public_rules());
    if (status) status = check_numbers(session, *pair, label);
    if (!status) {
      lease->mark_broken_if(status.error());
      return status;
    }
  }
  // The two halves belong together: a signature made in the token verifies with the public key.
  static constexpr std::string_view kProbe = "hsm2fa-audit-key-self-test";
  const std::span<const std::uint8_t> probe(reinterpret_cast<const std::uint8_t*>(kProbe.data()),
                                            kProbe.size());
  std::array<std::uint8_t, 32> digest{};
  unsigned int size = 0;
  EVP_Digest(probe.data(), probe.size(), digest.data(), &size, EVP_sha256(), nullptr);
  auto sig = audit_sign(token, digest);
  if (!sig) return std::move(sig).error();
  auto key = token_public_key(*impl);
  if (!key) return std::move(key).error();
  if (!verifies(key->get(), probe, *sig)) {
    return make_error(Errc::config, "key " + label +
                                        ": a signature made in the token does not verify with "
                                        "its public key (mismatched halves)");
  }
  return {};
}

}  // namespace hsm2fa::hsm
