#include "token_gate.hpp"

#include <spdlog/spdlog.h>

namespace hsm2fa::hsm {

Error TokenGate::refused(std::string_view what) {
  refusals_.fetch_add(1, std::memory_order_relaxed);
  return make_error(Errc::hsm_unavailable,
                    std::string(what) +
                        ": refused without calling the token (circuit open after "
                        "repeated token failures)");
}

Error TokenGate::timed_out(std::string_view what) {
  timeouts_.fetch_add(1, std::memory_order_relaxed);
  breaker_.failed();
  spdlog::warn("token: {} took longer than the call timeout ({} ms); answered unavailable", what,
               timeout_.count());
  return make_error(Errc::hsm_unavailable, std::string(what) +
                                               ": no answer from the token within " +
                                               std::to_string(timeout_.count()) + " ms");
}

void TokenGate::observe(const Error* error) {
  if (error != nullptr && error->code == Errc::hsm_unavailable) {
    breaker_.failed();
  } else {
    breaker_.succeeded();
  }
}

}  // namespace hsm2fa::hsm
