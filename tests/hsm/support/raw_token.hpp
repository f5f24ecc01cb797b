// Raw PKCS#11 access for custody tests: they must ask the token directly, not the vault.
#pragma once

#include <memory>

#include "attributes.hpp"
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

}  // namespace hsm2fa::hsm::testing
