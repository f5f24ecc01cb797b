// kek_rotation = "trusted" (hsm/README-rotation.md): active seeds become re-wrappable, but only
// under a KEK the security officer made CKA_TRUSTED. These tests try, with the user PIN only, to
// take an active seed out under a key of their own, and run a rotation end to end on the token.
#include <gtest/gtest.h>

#include "hsm2fa/hsm/kek_rotation.hpp"
#include "key_specs.hpp"
#include "seed_ref.hpp"
#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"
#include "token_ops.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::attacker_aes_key;
using testing::ThrowAwayToken;

constexpr std::uint8_t kSeed[20] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                    11, 12, 13, 14, 15, 16, 17, 18, 19, 20};

TokenConfig rotating(const std::string& prefix) {
  TokenConfig config = ThrowAwayToken::get().config(Custody::wrapped, prefix);
  config.kek_rotation = KekRotation::trusted;
  config.allow_public_kek = true;  // SoftHSM2: its SO can make only public trusted KEKs
  return config;
}

// An active (locked) seed's ref, made through the vault.
SeedRef active_seed(SeedVault& vault) {
  auto pending = vault.import(HashAlg::sha1, kSeed, true);
  EXPECT_TRUE(pending.ok());
  if (!pending) return {};
  auto locked = vault.lock(*pending);
  EXPECT_TRUE(locked.ok()) << (locked.ok() ? "" : locked.error().message);
  return locked.ok() ? *locked : SeedRef{};
}

CK_RV wrap_under(SessionPool::Lease& lease, CK_OBJECT_HANDLE kek, CK_OBJECT_HANDLE key) {
  CK_MECHANISM m{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  std::uint8_t out[256];
  CK_ULONG size = sizeof out;
  return lease.raw(HSM2FA_P11(C_WrapKey), &m, kek, key, out, &size);
}

// Unwraps an active blob as an attacker with the user PIN would: under its KEK, with the template
// given. CK_INVALID_HANDLE when the token refuses.
CK_OBJECT_HANDLE unwrap_as(SessionPool::Lease& lease, TokenImpl& token, const SeedRef& ref,
                           Template& t) {
  auto decoded = decode_wrapped_ref(ref.encoded);
  EXPECT_TRUE(decoded.ok());
  if (!decoded) return CK_INVALID_HANDLE;
  const CK_OBJECT_HANDLE kek =
      testing::find_key(lease, token.config().key_prefix + "-" + decoded->kek);
  CK_MECHANISM m{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  const CK_RV rv = lease.raw(HSM2FA_P11(C_UnwrapKey), &m, kek, decoded->wrapped.data(),
                             CK_ULONG{decoded->wrapped.size()}, t.data(), t.size(), &handle);
  return rv == CKR_OK ? handle : CK_INVALID_HANDLE;
}

// Every way a user-PIN holder could try to get `ref`'s seed under a key of their own.
void expect_locked_in(TokenImpl& token, const SeedRef& ref) {
  auto lease = token.lease();
  ASSERT_TRUE(lease.ok());
  const CK_OBJECT_HANDLE attacker = attacker_aes_key(*lease);
  ASSERT_NE(attacker, CK_INVALID_HANDLE);
  SessionObject attacker_owner(lease->session(), attacker);

  // The KEK's own template is the only one it takes, and it yields a WRAP_WITH_TRUSTED key.
  Template rules;
  add_rotatable_unwrap_rules(rules);
  rules.mechanisms(CKA_ALLOWED_MECHANISMS, {CKM_SHA_1_HMAC});
  const CK_OBJECT_HANDLE seed = unwrap_as(*lease, token, ref, rules);
  ASSERT_NE(seed, CK_INVALID_HANDLE);
  SessionObject seed_owner(lease->session(), seed);
  EXPECT_EQ(wrap_under(*lease, attacker, seed), CKR_KEY_NOT_WRAPPABLE);
  Template loosen;
  loosen.flag(CKA_WRAP_WITH_TRUSTED, false);
  EXPECT_NE(lease->raw(HSM2FA_P11(C_SetAttributeValue), seed, loosen.data(), loosen.size()),
            CKR_OK);
  CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
  EXPECT_NE(lease->raw(HSM2FA_P11(C_CopyObject), seed, loosen.data(), loosen.size(), &copy),
            CKR_OK);
  if (copy != CK_INVALID_HANDLE) SessionObject cleanup(lease->session(), copy);
  EXPECT_EQ(wrap_under(*lease, attacker, seed), CKR_KEY_NOT_WRAPPABLE);

  // Nor does the KEK unwrap it under a template without the restriction, or readable.
  Template unrestricted;
  add_unwrap_rules(unrestricted, false);
  unrestricted.mechanisms(CKA_ALLOWED_MECHANISMS, {CKM_SHA_1_HMAC});
  const CK_OBJECT_HANDLE loose = unwrap_as(*lease, token, ref, unrestricted);
  if (loose != CK_INVALID_HANDLE) SessionObject cleanup(lease->session(), loose);
  EXPECT_EQ(loose, CK_INVALID_HANDLE);
  Template readable;
  add_unwrap_rules(readable, true);
  const CK_OBJECT_HANDLE open = unwrap_as(*lease, token, ref, readable);
  if (open != CK_INVALID_HANDLE) SessionObject cleanup(lease->session(), open);
  EXPECT_EQ(open, CK_INVALID_HANDLE);
}

std::uint32_t code_of(SeedVault& vault, const SeedRef& ref) {
  auto oracle = vault.oracle(ref);
  EXPECT_TRUE(oracle.ok()) << (oracle.ok() ? "" : oracle.error().message);
  if (!oracle) return 0;
  const std::uint64_t counter[] = {42};
  auto macs = (*oracle)->mac_counters(counter);
  EXPECT_TRUE(macs.ok());
  return macs ? testing::truncate((*macs)[0], 6) : 0;
}

TEST(KekRotation, UserPinHolderCannotWrapAnActiveRotatableSeedUnderTheirOwnKey) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(rotating("rot-user"));
  ASSERT_TRUE(opened.vault);
  const SeedRef active = active_seed(*opened.vault);
  ASSERT_FALSE(active.encoded.empty());
  EXPECT_EQ(opened.vault->export_seed(active).error().code, Errc::export_locked);
  expect_locked_in(testing::impl_of(opened.token), active);
}

TEST(KekRotation, RefusedOnSoftHsmWithoutTheAcknowledgement) {
  HSM2FA_REQUIRE_SOFTHSM();
  TokenConfig config = rotating("rot-refused");
  config.allow_public_kek = false;
  auto token = open_token(config);
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(provision(**token, config).ok());
  auto vault = make_seed_vault(*token, config);
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().code, Errc::config);
  EXPECT_NE(vault.error().message.find("allow_public_kek"), std::string::npos);
}

TEST(KekRotation, RewrapsUnderTheTrustedKekThenTheOldOneCanGo) {
  HSM2FA_REQUIRE_SOFTHSM();
  const TokenConfig config = rotating("rot-full");
  SeedRef old_ref;
  std::uint32_t expected = 0;
  {
    auto opened = testing::open_provisioned(config);
    ASSERT_TRUE(opened.vault);
    old_ref = active_seed(*opened.vault);
    expected = code_of(*opened.vault, old_ref);
    ASSERT_EQ(expected, testing::truncate(testing::software_hmac(HashAlg::sha1, kSeed, 42), 6));
  }  // the user login ends: the SO logs in next, in this process
  auto created =
      create_trusted_kek(config, SecretBytes::from_string(ThrowAwayToken::get().so_pin), 2, true);
  ASSERT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
  EXPECT_EQ(*created, "rot-full-kek-2");

  auto opened = testing::open_provisioned(config);  // start-up checks kek-2 as a trusted KEK
  ASSERT_TRUE(opened.vault);
  auto rewrapper = seed_rewrapper(opened.vault, config);
  ASSERT_TRUE(rewrapper);
  EXPECT_EQ(*rewrapper->refresh_target(), "kek-2");
  EXPECT_TRUE(rewrapper->needs_rewrap(old_ref));
  auto new_ref = rewrapper->rewrap(old_ref);
  ASSERT_TRUE(new_ref.ok()) << (new_ref.ok() ? "" : new_ref.error().message);
  EXPECT_FALSE(rewrapper->needs_rewrap(*new_ref));
  EXPECT_NE(new_ref->encoded.find(":kek-2:"), std::string::npos);
  // Both blobs verify until the old KEK goes: verification never waits for the rotation.
  EXPECT_EQ(code_of(*opened.vault, old_ref), expected);
  EXPECT_EQ(code_of(*opened.vault, *new_ref), expected);
  expect_locked_in(testing::impl_of(opened.token), *new_ref);
  // New enrollments go under kek-2 directly.
  EXPECT_NE(active_seed(*opened.vault).encoded.find(":kek-2:"), std::string::npos);

  EXPECT_EQ(destroy_kek(*opened.token, config, "kek-2").error().code, Errc::conflict);
  ASSERT_TRUE(destroy_kek(*opened.token, config, "kek-1").ok());
  EXPECT_FALSE(opened.vault->oracle(old_ref).ok());
  EXPECT_EQ(code_of(*opened.vault, *new_ref), expected);
  // Provisioning again does not bring kek-1 back.
  auto again = provision(*opened.token, config);
  ASSERT_TRUE(again.ok());
  for (const auto& label : again->created) EXPECT_NE(label, "rot-full-kek-1");
}

}  // namespace
}  // namespace hsm2fa::hsm
