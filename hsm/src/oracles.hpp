// HmacOracles computing in the token: one per mac_counters call, SignInit+Sign per counter.
#pragma once

#include <memory>

#include "hsm2fa/hmac_oracle.hpp"
#include "key_specs.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

// A persistent key (token mode): leases a session per mac_counters call.
std::unique_ptr<HmacOracle> make_token_key_oracle(std::shared_ptr<TokenImpl> token, HashAlg alg,
                                                  CK_OBJECT_HANDLE key);

// An unwrapped session key (wrapped mode): holds its session lease and the key for its lifetime;
// the key is destroyed, then the session returned, when the oracle goes.
std::unique_ptr<HmacOracle> make_session_key_oracle(std::shared_ptr<TokenImpl> token, HashAlg alg,
                                                    SessionPool::Lease lease, SessionObject key);

// A session key its caller keeps owning, on the caller's lease, for the length of one operation:
// neither may go before the oracle.
std::unique_ptr<HmacOracle> make_borrowed_key_oracle(SessionPool::Lease& lease, HashAlg alg,
                                                     CK_OBJECT_HANDLE key);

}  // namespace hsm2fa::hsm
