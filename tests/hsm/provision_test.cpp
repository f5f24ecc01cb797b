// Provisioning is idempotent, and start-up refuses keys that are missing or weaker than required.
#include <gtest/gtest.h>

#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::ThrowAwayToken;

TEST(Provision, CreatesEachKeyOnceAndReportsTheRestAsExisting) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped, "idem");
  auto token = open_token(config);
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto first = provision(**token, config);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->created, (std::vector<std::string>{"idem-kek-1", "idem-pending-kek", "idem-mac",
                                                      "idem-audit-sign"}));
  EXPECT_TRUE(first->existing.empty());
  auto second = provision(**token, config);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(second->created.empty());
  EXPECT_EQ(second->existing.size(), 4u);
  EXPECT_TRUE(make_seed_vault(*token, config).ok());
}

TEST(Provision, UnprovisionedTokenIsRefusedNamingTheKey) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::token, "never-provisioned");
  auto token = open_token(config);
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto vault = make_seed_vault(*token, config);
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().code, Errc::config);
  EXPECT_NE(vault.error().message.find("never-provisioned-kek-1"), std::string::npos)
      << vault.error().message;
}

TEST(Provision, MissingKeyIsRefusedNamingIt) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped, "partial");
  {
    auto token = open_token(config);
    ASSERT_TRUE(token.ok()) << token.error().message;
    ASSERT_TRUE(provision(**token, config).ok());
    auto lease = testing::impl_of(*token).lease();
    ASSERT_TRUE(lease.ok());
    CK_OBJECT_HANDLE key = testing::find_key(*lease, "partial-pending-kek");
    ASSERT_NE(key, CK_INVALID_HANDLE);
    ASSERT_TRUE(lease->call(HSM2FA_P11(C_DestroyObject), key).ok());
  }
  auto token = open_token(config);
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto vault = make_seed_vault(*token, config);
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().code, Errc::config);
  EXPECT_NE(vault.error().message.find("partial-pending-kek"), std::string::npos)
      << vault.error().message;
  EXPECT_NE(vault.error().message.find("missing"), std::string::npos) << vault.error().message;
}

TEST(Provision, WeakerKeyIsRefusedNamingTheAttribute) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped, "weak");
  auto token = open_token(config);
  ASSERT_TRUE(token.ok()) << token.error().message;
  {
    // An impostor MAC key: right label and type, but extractable.
    auto lease = testing::impl_of(*token).lease();
    ASSERT_TRUE(lease.ok());
    Template t;
    t.number(CKA_CLASS, CKO_SECRET_KEY)
        .number(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
        .number(CKA_VALUE_LEN, 32)
        .text(CKA_LABEL, "weak-mac")
        .flag(CKA_TOKEN, true)
        .flag(CKA_PRIVATE, true)
        .flag(CKA_SENSITIVE, true)
        .flag(CKA_EXTRACTABLE, true)
        .flag(CKA_SIGN, true);
    CK_MECHANISM m{CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    ASSERT_TRUE(lease->call(HSM2FA_P11(C_GenerateKey), &m, t.data(), t.size(), &handle).ok());
  }
  auto report = provision(**token, config);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->existing, std::vector<std::string>{"weak-mac"});
  auto vault = make_seed_vault(*token, config);
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().code, Errc::config);
  EXPECT_NE(vault.error().message.find("key weak-mac: CKA_EXTRACTABLE is TRUE, expected FALSE"),
            std::string::npos)
      << vault.error().message;
}

TEST(Provision, UnknownWrapMechanismIsAConfigError) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  config.wrap_mechanism = "CKM_DES3_ECB";
  auto token = open_token(config);
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto report = provision(**token, config);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, Errc::config);
  EXPECT_NE(report.error().message.find("CKM_DES3_ECB"), std::string::npos);
}

TEST(ServiceMac, IsHmacSha256InTheTokenSeparatedByPurpose) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  auto opened = testing::open_provisioned(config);
  ASSERT_TRUE(opened.vault);
  const auto data = testing::bytes_of("message");
  auto a = service_mac(*opened.token, "email-code", data);
  auto b = service_mac(*opened.token, "email-code", data);
  auto c = service_mac(*opened.token, "audit-seal", data);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->size, 32u);
  EXPECT_TRUE(std::equal(a->span().begin(), a->span().end(), b->span().begin()));
  EXPECT_FALSE(std::equal(a->span().begin(), a->span().end(), c->span().begin()));
  for (std::string_view purpose :
       {std::string_view(""), std::string_view("seed-ref"), std::string_view("a\0b", 3)}) {
    auto bad = service_mac(*opened.token, purpose, data);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace hsm2fa::hsm
