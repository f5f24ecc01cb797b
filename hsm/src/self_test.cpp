#include "self_test.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include "key_specs.hpp"
#include "seed_ref.hpp"
#include "token_ops.hpp"

namespace hsm2fa::hsm {
namespace {

// A fixed, public test key: the self-test must not depend on any user's seed.
constexpr std::uint8_t kTestSeed[20] = {'h', 's', 'm', '2', 'f', 'a', '-', 's', 'e', 'l',
                                        'f', '-', 't', 'e', 's', 't', '-', 'k', 'e', 'y'};

Error failed(std::string_view what) {
  return make_error(Errc::config, "token self-test: " + std::string(what));
}

bool software_hmac_sha1(std::uint64_t counter, Mac& out) {
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                        EVP_MAC_free);
  if (!mac) return false;
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac.get()),
                                                                EVP_MAC_CTX_free);
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  std::uint8_t message[8];
  for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<std::uint8_t>(counter);
  return ctx && EVP_MAC_init(ctx.get(), kTestSeed, sizeof kTestSeed, params) == 1 &&
         EVP_MAC_update(ctx.get(), message, sizeof message) == 1 &&
         EVP_MAC_final(ctx.get(), out.bytes.data(), &out.size, out.bytes.size()) == 1;
}

Status check_mechanism(TokenImpl& token, CK_MECHANISM_TYPE wrap, CK_SLOT_ID slot) {
  CK_MECHANISM_INFO info{};  // zeroed: SoftHSM2 ORs its flags into the caller's struct
  if (auto s = token.cryptoki().call(HSM2FA_P11(C_GetMechanismInfo), slot, wrap, &info); !s) {
    return failed("wrap mechanism unavailable: " + s.error().message);
  }
  if (!(info.flags & CKF_WRAP) || !(info.flags & CKF_UNWRAP)) {
    return failed("the token cannot wrap and unwrap with the configured wrap mechanism");
  }
  return {};
}

// The active KEK must refuse to unwrap a locked blob into an extractable, readable key.
Status check_forced_template(TokenImpl& token, const SeedRef& locked, CK_MECHANISM_TYPE wrap) {
  auto ref = decode_wrapped_ref(locked.encoded);
  if (!ref) return failed("own ref does not parse");
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  auto kek = token.key(token.config().key_prefix + "-" + ref->kek, &lease->session());
  if (!kek) return std::move(kek).error();
  Template readable;
  add_unwrap_rules(readable, true);
  CK_MECHANISM m{wrap, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  // Uncounted: the refusal is the expected answer and must not show in the error metrics.
  CK_RV rv = token.cryptoki().uncounted().raw(HSM2FA_P11(C_UnwrapKey), lease->handle(), &m, *kek,
                                              ref->wrapped.data(), CK_ULONG{ref->wrapped.size()},
                                              readable.data(), readable.size(), &handle);
  if (rv == CKR_OK) {
    SessionObject leaked(lease->session(), handle);
    return failed("the active KEK unwraps locked seeds into readable keys");
  }
  if (errc_for(rv) == Errc::hsm_unavailable) return Cryptoki::error("C_UnwrapKey", rv);
  return {};
}

}  // namespace

Status self_test_wrapped(TokenImpl& token, SeedVault& vault, CK_MECHANISM_TYPE wrap) {
  CK_SESSION_INFO info{};
  {
    auto lease = token.lease();
    if (!lease) return std::move(lease).error();
    if (auto s = lease->call(HSM2FA_P11(C_GetSessionInfo), &info); !s) return s;
  }
  if (auto s = check_mechanism(token, wrap, info.slotID); !s) return s;

  auto pending = vault.import(HashAlg::sha1, kTestSeed, true);
  if (!pending) return failed("import: " + pending.error().message);
  auto exported = vault.export_seed(*pending);
  if (!exported || exported->size() != sizeof kTestSeed ||
      CRYPTO_memcmp(exported->data(), kTestSeed, sizeof kTestSeed) != 0) {
    return failed("a pending seed does not export as imported");
  }
  auto locked = vault.lock(*pending);
  if (!locked) return failed("lock: " + locked.error().message);
  if (vault.export_seed(*locked).ok()) return failed("a locked seed can be exported");
  if (auto s = check_forced_template(token, *locked, wrap); !s) return s;

  auto oracle = vault.oracle(*locked);
  if (!oracle) return failed("unwrap: " + oracle.error().message);
  const std::uint64_t counters[] = {0, 0x0123456789abcdefULL};
  auto macs = (*oracle)->mac_counters(counters);
  if (!macs) return failed("HMAC: " + macs.error().message);
  for (std::size_t i = 0; i < std::size(counters); ++i) {
    Mac expected;
    if (!software_hmac_sha1(counters[i], expected)) return failed("software HMAC unavailable");
    const Mac& actual = (*macs)[i];
    if (actual.size != expected.size ||
        CRYPTO_memcmp(actual.bytes.data(), expected.bytes.data(), actual.size) != 0) {
      return failed("in-token HMAC of an unwrapped seed differs from software HMAC");
    }
  }
  return {};
}

}  // namespace hsm2fa::hsm
