// The audit key pair: provisioned like the other keys, required at start-up, signing in the token
// with a signature OpenSSL verifies against the exported public key, and never extractable.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>

#include "hsm2fa/hsm/audit_key.hpp"
#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::ThrowAwayToken;

std::array<std::uint8_t, 32> sha256_of(std::string_view message) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int size = 0;
  EVP_Digest(message.data(), message.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

bool openssl_verifies(const std::string& pem, std::string_view message,
                      const std::vector<std::uint8_t>& der) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, der.data(), der.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

CK_OBJECT_HANDLE find_object(SessionPool::Lease& lease, CK_OBJECT_CLASS object_class,
                             const std::string& label) {
  Template match;
  match.number(CKA_CLASS, object_class).text(CKA_LABEL, label);
  auto found = find_objects(lease.session(), match);
  return found && found->size() == 1 ? found->front() : CK_INVALID_HANDLE;
}

TEST(AuditKey, SignatureMadeInTheTokenVerifiesWithTheExportedPem) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::wrapped, "ak"));
  ASSERT_TRUE(opened.vault);
  auto pem = audit_public_key_pem(*opened.token);
  ASSERT_TRUE(pem.ok()) << pem.error().message;
  EXPECT_TRUE(pem->starts_with("-----BEGIN PUBLIC KEY-----\n")) << *pem;
  const std::string message = "hsm2fa-audit-checkpoint-v1\n5\n2027-01-15T08:00:00.000Z\nab\n";
  auto sig = audit_sign(*opened.token, sha256_of(message));
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  EXPECT_EQ(sig->front(), 0x30);  // a DER SEQUENCE, not raw r||s
  EXPECT_TRUE(openssl_verifies(*pem, message, *sig));
  EXPECT_FALSE(openssl_verifies(*pem, message + "x", *sig));
  EXPECT_TRUE(check_audit_key(*opened.token).ok());
}

TEST(AuditKey, PrivateHalfIsSensitiveNonExtractableAndSignOnly) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::wrapped, "akx"));
  ASSERT_TRUE(opened.vault);
  auto lease = testing::impl_of(opened.token).lease();
  ASSERT_TRUE(lease.ok());
  CK_OBJECT_HANDLE key = find_object(*lease, CKO_PRIVATE_KEY, "akx-audit-sign");
  ASSERT_NE(key, CK_INVALID_HANDLE);
  for (auto [type, expected] : {std::pair{CKA_SENSITIVE, true},
                                {CKA_EXTRACTABLE, false},
                                {CKA_ALWAYS_SENSITIVE, true},
                                {CKA_NEVER_EXTRACTABLE, true},
                                {CKA_TOKEN, true},
                                {CKA_PRIVATE, true},
                                {CKA_SIGN, true},
                                {CKA_DECRYPT, false},
                                {CKA_DERIVE, false},
                                {CKA_UNWRAP, false}}) {
    auto value = read_flag(lease->session(), key, type);
    ASSERT_TRUE(value.ok()) << type;
    EXPECT_EQ(*value, expected) << type;
  }
  // The private value cannot be read, and the token refuses to make it readable.
  CK_BYTE buffer[64];
  CK_ATTRIBUTE value{CKA_VALUE, buffer, sizeof buffer};
  EXPECT_EQ(lease->raw(HSM2FA_P11(C_GetAttributeValue), key, &value, CK_ULONG{1}),
            CKR_ATTRIBUTE_SENSITIVE);
  Template loosen;
  loosen.flag(CKA_EXTRACTABLE, true);
  EXPECT_NE(lease->raw(HSM2FA_P11(C_SetAttributeValue), key, loosen.data(), loosen.size()), CKR_OK);
  // Same CKA_ID on both halves.
  CK_OBJECT_HANDLE pub = find_object(*lease, CKO_PUBLIC_KEY, "akx-audit-sign");
  ASSERT_NE(pub, CK_INVALID_HANDLE);
  EXPECT_EQ(*read_bytes(lease->session(), key, CKA_ID), *read_bytes(lease->session(), pub, CKA_ID));
}

TEST(AuditKey, ATokenProvisionedBeforeItExistedIsRefusedUntilProvisionedAgain) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped, "older");
  auto opened = testing::open_provisioned(config);
  ASSERT_TRUE(opened.vault);
  {
    auto lease = testing::impl_of(opened.token).lease();
    ASSERT_TRUE(lease.ok());
    for (CK_OBJECT_CLASS c : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
      CK_OBJECT_HANDLE h = find_object(*lease, c, "older-audit-sign");
      ASSERT_NE(h, CK_INVALID_HANDLE);
      ASSERT_TRUE(lease->call(HSM2FA_P11(C_DestroyObject), h).ok());
    }
  }
  opened.vault.reset();
  opened.token.reset();
  auto token = open_token(config);
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto vault = make_seed_vault(*token, config);
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().code, Errc::config);
  EXPECT_NE(vault.error().message.find("hsm2fa token provision"), std::string::npos)
      << vault.error().message;
  EXPECT_FALSE(audit_sign(**token, sha256_of("x")).ok());

  auto report = provision(**token, config);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->created, std::vector<std::string>{"older-audit-sign"});
  EXPECT_TRUE(make_seed_vault(*token, config).ok());
}

TEST(AuditKey, HalfAKeyPairIsNotRepairedSilently) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped, "half");
  auto opened = testing::open_provisioned(config);
  ASSERT_TRUE(opened.vault);
  {
    auto lease = testing::impl_of(opened.token).lease();
    ASSERT_TRUE(lease.ok());
    CK_OBJECT_HANDLE h = find_object(*lease, CKO_PUBLIC_KEY, "half-audit-sign");
    ASSERT_TRUE(lease->call(HSM2FA_P11(C_DestroyObject), h).ok());
  }
  opened.vault.reset();
  opened.token.reset();
  auto token = open_token(config);
  ASSERT_TRUE(token.ok());
  auto report = provision(**token, config);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, Errc::config);
  EXPECT_NE(report.error().message.find("only one half"), std::string::npos);
  EXPECT_FALSE(make_seed_vault(*token, config).ok());
}

TEST(AuditKey, AuditSealIsTheServiceMacUnderItsOwnPurpose) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::wrapped, "seal"));
  ASSERT_TRUE(opened.vault);
  const auto chain = sha256_of("line");
  auto a = service_mac(*opened.token, "audit", chain);
  auto b = service_mac(*opened.token, "audit", chain);
  auto other = service_mac(*opened.token, "email-code", chain);
  ASSERT_TRUE(a.ok() && b.ok() && other.ok());
  EXPECT_EQ(a->size, 32u);
  EXPECT_TRUE(std::equal(a->span().begin(), a->span().end(), b->span().begin()));
  EXPECT_FALSE(std::equal(a->span().begin(), a->span().end(), other->span().begin()));
}

}  // namespace
}  // namespace hsm2fa::hsm
