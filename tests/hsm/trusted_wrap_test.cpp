// The custody facts that online KEK rotation would rest on (hsm/README-rotation.md), measured
// with the user PIN only: a seed that is extractable but CKA_WRAP_WITH_TRUSTED cannot be wrapped
// under any key a user-PIN holder can make, because no such holder can make a trusted key.
// (The SO side, and why it makes a trusted KEK public on SoftHSM2, is in the README.)
#include <gtest/gtest.h>

#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::ThrowAwayToken;

CK_OBJECT_HANDLE generate(SessionPool::Lease& lease, Template& t, CK_MECHANISM_TYPE mechanism,
                          CK_RV* rv = nullptr) {
  CK_MECHANISM m{mechanism, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  const CK_RV got = lease.raw(HSM2FA_P11(C_GenerateKey), &m, t.data(), t.size(), &handle);
  if (rv != nullptr) *rv = got;
  return got == CKR_OK ? handle : CK_INVALID_HANDLE;
}

// An AES wrapping key of the attacker's own, readable by them; `trusted` asks for CKA_TRUSTED.
void attacker_kek(Template& t, bool trusted) {
  testing::attacker_aes_template(t);
  if (trusted) t.flag(CKA_TRUSTED, true);
}

CK_RV wrap(SessionPool::Lease& lease, CK_OBJECT_HANDLE kek, CK_OBJECT_HANDLE key) {
  CK_MECHANISM m{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  std::uint8_t out[256];
  CK_ULONG size = sizeof out;
  return lease.raw(HSM2FA_P11(C_WrapKey), &m, kek, key, out, &size);
}

TEST(TrustedWrap, UserPinHolderCannotWrapAWrapWithTrustedSeedUnderTheirOwnKey) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::wrapped, "twr"));
  ASSERT_TRUE(opened.vault);
  auto lease = testing::impl_of(opened.token).lease();
  ASSERT_TRUE(lease.ok());

  Template seed_template;
  seed_template.number(CKA_CLASS, CKO_SECRET_KEY)
      .number(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
      .number(CKA_VALUE_LEN, 20)
      .flag(CKA_TOKEN, false)
      .flag(CKA_SENSITIVE, true)
      .flag(CKA_EXTRACTABLE, true)
      .flag(CKA_WRAP_WITH_TRUSTED, true)
      .flag(CKA_SIGN, true);
  const CK_OBJECT_HANDLE seed = generate(*lease, seed_template, CKM_GENERIC_SECRET_KEY_GEN);
  ASSERT_NE(seed, CK_INVALID_HANDLE);
  SessionObject seed_owner(lease->session(), seed);

  Template own;
  attacker_kek(own, false);
  const CK_OBJECT_HANDLE kek = generate(*lease, own, CKM_AES_KEY_GEN);
  ASSERT_NE(kek, CK_INVALID_HANDLE);
  SessionObject kek_owner(lease->session(), kek);
  EXPECT_EQ(wrap(*lease, kek, seed), CKR_KEY_NOT_WRAPPABLE);

  // Nor can they make a trusted key, at generation or afterwards.
  CK_RV rv = CKR_OK;
  Template trusted;
  attacker_kek(trusted, true);
  const CK_OBJECT_HANDLE minted = generate(*lease, trusted, CKM_AES_KEY_GEN, &rv);
  EXPECT_NE(rv, CKR_OK);
  if (minted != CK_INVALID_HANDLE) SessionObject cleanup(lease->session(), minted);
  Template make_trusted;
  make_trusted.flag(CKA_TRUSTED, true);
  EXPECT_NE(
      lease->raw(HSM2FA_P11(C_SetAttributeValue), kek, make_trusted.data(), make_trusted.size()),
      CKR_OK);
  EXPECT_EQ(wrap(*lease, kek, seed), CKR_KEY_NOT_WRAPPABLE);

  // Nor drop the seed's restriction, or copy it without one.
  Template loosen;
  loosen.flag(CKA_WRAP_WITH_TRUSTED, false);
  EXPECT_NE(lease->raw(HSM2FA_P11(C_SetAttributeValue), seed, loosen.data(), loosen.size()),
            CKR_OK);
  CK_OBJECT_HANDLE copy = CK_INVALID_HANDLE;
  EXPECT_NE(lease->raw(HSM2FA_P11(C_CopyObject), seed, loosen.data(), loosen.size(), &copy),
            CKR_OK);
  if (copy != CK_INVALID_HANDLE) SessionObject cleanup(lease->session(), copy);
  EXPECT_EQ(wrap(*lease, kek, seed), CKR_KEY_NOT_WRAPPABLE);
}

}  // namespace
}  // namespace hsm2fa::hsm
