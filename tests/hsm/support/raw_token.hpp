// Raw PKCS#11 access for custody tests: they must ask the token directly, not the vault.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "attributes.hpp"
#include "cryptoki.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm::testing {

inline TokenImpl& impl_of(const std::shared_ptr<Token>& token) {
  return dynamic_cast<TokenImpl&>(*token);
}

// The one secret key labelled `label`, or CK_INVALID_HANDLE.
inline CK_OBJECT_HANDLE find_key(SessionPool::Lease& lease, const std::string& label) {
  Template match;
  match.number(CKA_CLASS, CKO_SECRET_KEY).text(CKA_LABEL, label);
  auto found = find_objects(lease.session(), match);
  return found && found->size() == 1 ? found->front() : CK_INVALID_HANDLE;
}

// The template of an AES key the "attacker" makes with the user PIN and knows: readable, able to
// wrap anything the token lets it wrap.
inline void attacker_aes_template(Template& t) {
  t.number(CKA_CLASS, CKO_SECRET_KEY)
      .number(CKA_KEY_TYPE, CKK_AES)
      .number(CKA_VALUE_LEN, 32)
      .flag(CKA_TOKEN, false)
      .flag(CKA_SENSITIVE, false)
      .flag(CKA_EXTRACTABLE, true)
      .flag(CKA_WRAP, true)
      .flag(CKA_UNWRAP, true);
}

// Such a key, made in the token.
inline CK_OBJECT_HANDLE attacker_aes_key(SessionPool::Lease& lease) {
  Template t;
  attacker_aes_template(t);
  CK_MECHANISM m{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  EXPECT_EQ(lease.raw(HSM2FA_P11(C_GenerateKey), &m, t.data(), t.size(), &handle), CKR_OK);
  return handle;
}

// Every secret session object of this process on the token, found by the token itself.
inline std::size_t session_keys(const std::shared_ptr<Token>& token) {
  auto lease = impl_of(token).lease();
  EXPECT_TRUE(lease.ok());
  if (!lease) return 0;
  Template match;
  match.number(CKA_CLASS, CKO_SECRET_KEY).flag(CKA_TOKEN, false);
  auto found = find_objects(lease->session(), match);
  EXPECT_TRUE(found.ok());
  return found ? found->size() : 0;
}

}  // namespace hsm2fa::hsm::testing
