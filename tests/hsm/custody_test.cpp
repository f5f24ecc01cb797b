// Custody as the token enforces it, checked with raw PKCS#11 calls rather than the vault API:
// a locked seed cannot be read, wrapped out, or unwrapped into a readable key.
#include <gtest/gtest.h>

#include <algorithm>

#include "key_specs.hpp"
#include "seed_ref.hpp"
#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"
#include "token_ops.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::attacker_aes_key;
using testing::bytes_of;
using testing::ThrowAwayToken;

const auto kSeed = bytes_of("12345678901234567890");

CK_RV read_value(SessionPool::Lease& lease, CK_OBJECT_HANDLE key) {
  std::uint8_t buffer[128];
  CK_ATTRIBUTE attribute{CKA_VALUE, buffer, sizeof buffer};
  return lease.raw(HSM2FA_P11(C_GetAttributeValue), key, &attribute, CK_ULONG{1});
}

CK_RV wrap_out(SessionPool::Lease& lease, CK_OBJECT_HANDLE wrapping, CK_OBJECT_HANDLE key) {
  CK_MECHANISM m{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  std::uint8_t out[256];
  CK_ULONG size = sizeof out;
  return lease.raw(HSM2FA_P11(C_WrapKey), &m, wrapping, key, out, &size);
}

std::vector<Mac> vault_macs(SeedVault& vault, const SeedRef& ref,
                            std::span<const std::uint64_t> counters) {
  auto oracle = vault.oracle(ref);
  EXPECT_TRUE(oracle.ok()) << oracle.error().message;
  if (!oracle) return {};
  auto macs = (*oracle)->mac_counters(counters);
  EXPECT_TRUE(macs.ok()) << macs.error().message;
  return macs ? *macs : std::vector<Mac>{};
}

bool same(const Mac& a, const Mac& b) {
  return a.size == b.size && std::equal(a.bytes.begin(), a.bytes.begin() + a.size, b.bytes.begin());
}

TEST(Custody, TokenModeLockedSeedCannotBeReadOrWrappedOut) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::token));
  ASSERT_TRUE(opened.vault);
  auto ref = opened.vault->import(HashAlg::sha1, kSeed, true);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  auto exported = opened.vault->export_seed(*ref);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  EXPECT_TRUE(std::equal(kSeed.begin(), kSeed.end(), exported->data(),
                         exported->data() + exported->size()));

  auto decoded = decode_token_ref(ref->encoded);
  ASSERT_TRUE(decoded.ok());
  auto lease = testing::impl_of(opened.token).lease();
  ASSERT_TRUE(lease.ok());
  CK_OBJECT_HANDLE seed = testing::find_key(*lease, "hsm2fa-seed-" + to_hex(decoded->id));
  ASSERT_NE(seed, CK_INVALID_HANDLE);
  CK_OBJECT_HANDLE aes = attacker_aes_key(*lease);
  EXPECT_EQ(wrap_out(*lease, aes, seed), CKR_OK) << "pending seeds are exportable by policy";

  auto locked = opened.vault->lock(*ref);
  ASSERT_TRUE(locked.ok()) << locked.error().message;
  EXPECT_EQ(read_value(*lease, seed), CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_NE(wrap_out(*lease, aes, seed), CKR_OK);
  auto again = opened.vault->export_seed(*locked);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::export_locked);
  // One-way: the token refuses to make it readable again.
  Template undo;
  undo.flag(CKA_SENSITIVE, false);
  EXPECT_NE(lease->raw(HSM2FA_P11(C_SetAttributeValue), seed, undo.data(), undo.size()), CKR_OK);
}

TEST(Custody, WrappedModeActiveBlobUnwrapsOnlyIntoAnUnreadableKey) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::wrapped));
  ASSERT_TRUE(opened.vault);
  auto pending = opened.vault->import(HashAlg::sha1, kSeed, true);
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  auto exported = opened.vault->export_seed(*pending);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  EXPECT_TRUE(std::equal(kSeed.begin(), kSeed.end(), exported->data(),
                         exported->data() + exported->size()));
  auto locked = opened.vault->lock(*pending);
  ASSERT_TRUE(locked.ok()) << locked.error().message;
  EXPECT_NE(locked->encoded, pending->encoded);
  auto again = opened.vault->export_seed(*locked);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::export_locked);

  auto blob = decode_wrapped_ref(locked->encoded);
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(blob->pending);
  auto lease = testing::impl_of(opened.token).lease();
  ASSERT_TRUE(lease.ok());
  CK_OBJECT_HANDLE kek = testing::find_key(*lease, "hsm2fa-kek-1");
  CK_OBJECT_HANDLE pending_kek = testing::find_key(*lease, "hsm2fa-pending-kek");
  ASSERT_NE(kek, CK_INVALID_HANDLE);
  ASSERT_NE(pending_kek, CK_INVALID_HANDLE);

  auto unwrap = [&](CK_OBJECT_HANDLE with, Template& t, CK_OBJECT_HANDLE& out) {
    CK_MECHANISM m{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
    return lease->raw(HSM2FA_P11(C_UnwrapKey), &m, with, blob->wrapped.data(),
                      CK_ULONG{blob->wrapped.size()}, t.data(), t.size(), &out);
  };
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  Template readable;
  add_unwrap_rules(readable, true);
  EXPECT_NE(unwrap(kek, readable, key), CKR_OK) << "the KEK's unwrap template must refuse";
  Template bare;
  bare.number(CKA_CLASS, CKO_SECRET_KEY)
      .number(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
      .flag(CKA_TOKEN, false);
  EXPECT_NE(unwrap(kek, bare, key), CKR_OK) << "a template that omits the rules must be refused";
  EXPECT_NE(unwrap(pending_kek, readable, key), CKR_OK) << "wrong KEK must not unwrap";

  Template forced;
  add_unwrap_rules(forced, false);
  ASSERT_EQ(unwrap(kek, forced, key), CKR_OK);
  SessionObject unwrapped(lease->session(), key);
  EXPECT_EQ(read_value(*lease, key), CKR_ATTRIBUTE_SENSITIVE);
  CK_OBJECT_HANDLE aes = attacker_aes_key(*lease);
  EXPECT_NE(wrap_out(*lease, aes, key), CKR_OK);
}

TEST(Custody, GeneratedPendingSeedExportReproducesTheVaultsMacs) {
  HSM2FA_REQUIRE_SOFTHSM();
  for (Custody custody : {Custody::token, Custody::wrapped}) {
    auto opened = testing::open_provisioned(ThrowAwayToken::get().config(custody));
    ASSERT_TRUE(opened.vault);
    for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha512}) {
      auto ref = opened.vault->generate(alg, true);
      ASSERT_TRUE(ref.ok()) << ref.error().message;
      auto info = opened.vault->inspect(*ref);
      ASSERT_TRUE(info.ok());
      EXPECT_TRUE(info->exportable);
      EXPECT_EQ(info->alg, alg);
      auto seed = opened.vault->export_seed(*ref);
      ASSERT_TRUE(seed.ok()) << seed.error().message;
      EXPECT_EQ(seed->size(), digest_size(alg));
      const std::uint64_t counters[] = {0, 1, 56666666, 0xffffffffffffffffULL};
      auto macs = vault_macs(*opened.vault, *ref, counters);
      ASSERT_EQ(macs.size(), 4u);
      for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(same(macs[i], testing::software_hmac(alg, seed->span(), counters[i])));
      }
      // Locking keeps the seed: the same MACs afterwards.
      auto locked = opened.vault->lock(*ref);
      ASSERT_TRUE(locked.ok()) << locked.error().message;
      auto after = vault_macs(*opened.vault, *locked, counters);
      ASSERT_EQ(after.size(), 4u);
      EXPECT_TRUE(same(after[2], macs[2]));
      EXPECT_FALSE(opened.vault->inspect(*locked)->exportable);
    }
  }
}

TEST(Custody, SeedGeneratedNonExportableNeverLeaves) {
  HSM2FA_REQUIRE_SOFTHSM();
  for (Custody custody : {Custody::token, Custody::wrapped}) {
    auto opened = testing::open_provisioned(ThrowAwayToken::get().config(custody));
    ASSERT_TRUE(opened.vault);
    auto ref = opened.vault->generate(HashAlg::sha1, false);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    auto seed = opened.vault->export_seed(*ref);
    ASSERT_FALSE(seed.ok());
    EXPECT_EQ(seed.error().code, Errc::export_locked);
    EXPECT_FALSE(opened.vault->inspect(*ref)->exportable);
  }
}

TEST(Custody, DestroyedTokenSeedIsGone) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::token));
  ASSERT_TRUE(opened.vault);
  auto ref = opened.vault->generate(HashAlg::sha1, false);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  ASSERT_TRUE(opened.vault->destroy(*ref).ok());
  auto oracle = opened.vault->oracle(*ref);
  ASSERT_FALSE(oracle.ok());
  EXPECT_EQ(oracle.error().code, Errc::not_found);
}

}  // namespace
}  // namespace hsm2fa::hsm
