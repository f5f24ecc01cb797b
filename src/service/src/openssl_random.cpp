#include <openssl/rand.h>

#include <climits>

#include "hsm2fa/service/flow_ports.hpp"

namespace hsm2fa::service {
namespace {

class OpenSslRandom final : public RandomSource {
 public:
  Status fill(std::span<std::uint8_t> out) override {
    // The private DRBG: separate from the public one that nonces visible on the wire come from.
    for (std::size_t done = 0; done < out.size();) {
      const std::size_t n = std::min<std::size_t>(out.size() - done, INT_MAX);
      if (RAND_priv_bytes(out.data() + done, static_cast<int>(n)) != 1) {
        return make_error(Errc::internal, "the random generator failed");
      }
      done += n;
    }
    return {};
  }
};

}  // namespace

std::shared_ptr<RandomSource> make_openssl_random() { return std::make_shared<OpenSslRandom>(); }

}  // namespace hsm2fa::service
