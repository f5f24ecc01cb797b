#include <algorithm>

#include "key_specs.hpp"
#include "vaults.hpp"

namespace hsm2fa::hsm {

Result<SecretBytes> padded_seed(HashAlg alg, std::span<const std::uint8_t> seed) {
  if (seed.empty() || seed.size() > 64) {
    return make_error(Errc::invalid_argument, "a seed must be 1 to 64 bytes");
  }
  SecretBytes padded(std::max(seed.size(), digest_size(alg)));
  std::copy(seed.begin(), seed.end(), padded.data());
  return padded;
}

void add_seed_rules(Template& t, HashAlg alg, bool token_object, bool sensitive, bool extractable) {
  t.number(CKA_CLASS, CKO_SECRET_KEY)
      .number(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
      .flag(CKA_TOKEN, token_object)
      .flag(CKA_PRIVATE, true)
      .flag(CKA_SENSITIVE, sensitive)
      .flag(CKA_EXTRACTABLE, extractable)
      .flag(CKA_SIGN, true)
      .flag(CKA_VERIFY, false)
      .flag(CKA_ENCRYPT, false)
      .flag(CKA_DECRYPT, false)
      .flag(CKA_WRAP, false)
      .flag(CKA_UNWRAP, false)
      .flag(CKA_DERIVE, false)
      .mechanisms(CKA_ALLOWED_MECHANISMS, {hmac_mechanism(alg)});
}

}  // namespace hsm2fa::hsm
