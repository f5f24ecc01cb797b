// The pairing URI of Google Authenticator's Key Uri Format, which authenticator apps scan.
#pragma once

#include <string>
#include <string_view>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::otp {

// RFC 3986 percent-encoding that keeps only the unreserved characters (ALPHA DIGIT - . _ ~);
// everything else, ':' '/' '?' '&' '#' '%' space and non-ASCII bytes included, becomes %XX
// (upper-case hex). Applied to issuer and account so neither can split the label or the query.
std::string percent_encode(std::string_view text);

// otpauth://totp/<Issuer>:<account>?secret=<base32>&issuer=<Issuer>&algorithm=SHA1&digits=6
// &period=30, issuer and account percent-encoded. An empty issuer gives the label <account>
// and no issuer parameter. It carries the seed, so it is a secret; `secret_base32` is copied
// as is (the caller gives unpadded base32).
SecretBytes otpauth_uri(std::string_view issuer, std::string_view account,
                        const SecretBytes& secret_base32, HashAlg alg, int digits, int period);

}  // namespace hsm2fa::otp
