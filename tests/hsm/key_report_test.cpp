// The key report reads what an auditor needs from the token, and flags a seed the token would
// let out.
#include <algorithm>

#include "hsm2fa/hsm/key_report.hpp"
#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::ThrowAwayToken;

const KeyEntry* role(const KeyReport& report, std::string_view name) {
  auto it = std::find_if(report.keys.begin(), report.keys.end(),
                         [&](const KeyEntry& e) { return e.role == name; });
  return it == report.keys.end() ? nullptr : &*it;
}

// The report's "seed" entries (it also lists every other secret key in the token, and this
// test token is shared with other prefixes).
std::vector<KeyEntry> seeds_of(const KeyReport& report) {
  std::vector<KeyEntry> out;
  for (const auto& e : report.seeds) {
    if (e.role == "seed") out.push_back(e);
  }
  return out;
}

TEST(KeyReport, ListsEveryServiceKeyWithItsAttributes) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped, "rep");
  auto opened = testing::open_provisioned(config);
  ASSERT_TRUE(opened.vault);
  auto report = key_report(*opened.token, config);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->missing.empty());
  EXPECT_EQ(report->keys.size(), 5u);
  EXPECT_TRUE(seeds_of(*report).empty());
  for (const auto& other : report->seeds) {
    EXPECT_EQ(other.label.rfind("rep-", 0), std::string::npos) << "a service key is not an other";
  }

  const auto* kek = role(*report, "kek");
  ASSERT_NE(kek, nullptr);
  EXPECT_EQ(kek->label, "rep-kek-1");
  EXPECT_EQ(kek->object_class, "CKO_SECRET_KEY");
  EXPECT_EQ(kek->key_type, "CKK_AES");
  EXPECT_EQ(kek->id_hex, "7265702d6b656b2d31");  // "rep-kek-1"
  EXPECT_EQ(kek->attributes.sensitive, true);
  EXPECT_EQ(kek->attributes.extractable, false);
  EXPECT_EQ(kek->attributes.always_sensitive, true);
  EXPECT_EQ(kek->attributes.never_extractable, true);
  EXPECT_EQ(kek->attributes.local, true);
  EXPECT_EQ(kek->attributes.modifiable, false);
  EXPECT_EQ(kek->attributes.copyable, false);
  EXPECT_TRUE(kek->attributes.wrap_with_trusted.has_value());
  EXPECT_EQ(kek->allowed_mechanisms, std::vector<std::string>{"CKM_AES_KEY_WRAP_PAD"});
  ASSERT_TRUE(kek->unwrap_template.has_value());
  EXPECT_TRUE(kek->unwrap_template->present);
  EXPECT_TRUE(kek->unwrap_template->forces_sensitive);
  EXPECT_TRUE(kek->unwrap_template->forces_non_extractable);

  // The pending KEK unwraps readable seeds, for the pairing export: its template says so.
  const auto* pending = role(*report, "pending-kek");
  ASSERT_NE(pending, nullptr);
  ASSERT_TRUE(pending->unwrap_template.has_value());
  EXPECT_FALSE(pending->unwrap_template->forces_sensitive);
  EXPECT_FALSE(pending->unwrap_template->forces_non_extractable);

  const auto* mac = role(*report, "mac");
  ASSERT_NE(mac, nullptr);
  EXPECT_EQ(mac->allowed_mechanisms, std::vector<std::string>{"CKM_SHA256_HMAC"});
  EXPECT_FALSE(mac->unwrap_template.has_value());

  const auto* sign = role(*report, "audit-sign");
  ASSERT_NE(sign, nullptr);
  EXPECT_EQ(sign->object_class, "CKO_PRIVATE_KEY");
  EXPECT_EQ(sign->key_type, "CKK_EC");
  EXPECT_EQ(sign->attributes.sensitive, true);
  EXPECT_EQ(sign->attributes.extractable, false);
  EXPECT_EQ(sign->allowed_mechanisms, std::vector<std::string>{"CKM_ECDSA"});
  const auto* verify = role(*report, "audit-verify");
  ASSERT_NE(verify, nullptr);
  EXPECT_EQ(verify->object_class, "CKO_PUBLIC_KEY");
  EXPECT_FALSE(verify->attributes.sensitive.has_value());
  EXPECT_EQ(verify->id_hex, sign->id_hex);
}

TEST(KeyReport, NamesMissingKeys) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped, "nothing-here");
  auto token = open_token(config);
  ASSERT_TRUE(token.ok());
  auto report = key_report(**token, config);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->keys.empty());
  EXPECT_EQ(report->missing.size(), 5u);
  EXPECT_EQ(report->missing.front(), "nothing-here-kek-1");
}

TEST(KeyReport, FlagsASeedTheTokenWouldLetOut) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::token, "tok");
  auto opened = testing::open_provisioned(config);
  ASSERT_TRUE(opened.vault);
  auto locked = opened.vault->generate(HashAlg::sha1, false);
  ASSERT_TRUE(locked.ok()) << locked.error().message;
  {
    // A seed object made behind the service's back: readable by anyone with the PIN.
    auto lease = testing::impl_of(opened.token).lease();
    ASSERT_TRUE(lease.ok());
    const std::vector<std::uint8_t> id(16, 0xab);
    Template t;
    t.number(CKA_CLASS, CKO_SECRET_KEY)
        .number(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
        .bytes(CKA_VALUE, std::vector<std::uint8_t>(20, 0x42))
        .bytes(CKA_ID, id)
        .text(CKA_LABEL, "tok-seed-" + std::string(32, 'a'))
        .flag(CKA_TOKEN, true)
        .flag(CKA_PRIVATE, true)
        .flag(CKA_SENSITIVE, false)
        .flag(CKA_EXTRACTABLE, true)
        .flag(CKA_SIGN, true);
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    ASSERT_TRUE(lease->call(HSM2FA_P11(C_CreateObject), t.data(), t.size(), &handle).ok());
  }
  auto report = key_report(*opened.token, config);
  ASSERT_TRUE(report.ok()) << report.error().message;
  const std::vector<KeyEntry> seeds = seeds_of(*report);
  ASSERT_EQ(seeds.size(), 2u);
  auto where = locate_seed(*locked, config.key_prefix);
  ASSERT_TRUE(where.ok());
  EXPECT_EQ(where->custody, Custody::token);
  for (const auto& seed : seeds) {
    if (seed.id_hex == where->id_hex) {
      EXPECT_FALSE(seed.exportable_now) << seed.label;
      EXPECT_EQ(seed.allowed_mechanisms, std::vector<std::string>{"CKM_SHA_1_HMAC"});
    } else {
      EXPECT_EQ(seed.id_hex, "abababababababababababababababab");
      EXPECT_TRUE(seed.exportable_now) << seed.label;
      EXPECT_EQ(seed.attributes.local, false);
    }
  }
}

TEST(KeyReport, LocatesAWrappedSeedWithoutUnwrappingIt) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped, "loc");
  auto opened = testing::open_provisioned(config);
  ASSERT_TRUE(opened.vault);
  auto pending = opened.vault->generate(HashAlg::sha256, true);
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  auto where = locate_seed(*pending, config.key_prefix);
  ASSERT_TRUE(where.ok()) << where.error().message;
  EXPECT_EQ(where->custody, Custody::wrapped);
  EXPECT_EQ(where->alg, HashAlg::sha256);
  EXPECT_TRUE(where->pending);
  EXPECT_EQ(where->kek_label, "loc-pending-kek");
  auto active = opened.vault->lock(*pending);
  ASSERT_TRUE(active.ok()) << active.error().message;
  where = locate_seed(*active, config.key_prefix);
  ASSERT_TRUE(where.ok());
  EXPECT_FALSE(where->pending);
  EXPECT_EQ(where->kek_label, "loc-kek-1");
  EXPECT_EQ(locate_seed(SeedRef{"nonsense"}, "loc").error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace hsm2fa::hsm
