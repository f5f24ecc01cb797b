#include "hsm2fa/secret.hpp"

#include <openssl/crypto.h>

namespace hsm2fa {

void secure_wipe(void* data, std::size_t size) noexcept { OPENSSL_cleanse(data, size); }

}  // namespace hsm2fa
