#include "token_audit_keys.hpp"

#include "hsm2fa/hsm/audit_key.hpp"

namespace hsm2fa::app {
namespace {

class TokenAuditKeys final : public audit::AuditKeys {
 public:
  explicit TokenAuditKeys(hsm::Token& token) : token_(token) {}

  Result<Mac> seal(std::span<const std::uint8_t> data) override {
    return hsm::service_mac(token_, "audit", data);
  }
  Result<std::vector<std::uint8_t>> sign(std::span<const std::uint8_t, 32> digest) override {
    return hsm::audit_sign(token_, digest);
  }

 private:
  hsm::Token& token_;
};

}  // namespace

std::shared_ptr<audit::AuditKeys> make_token_audit_keys(hsm::Token& token) {
  return std::make_shared<TokenAuditKeys>(token);
}

}  // namespace hsm2fa::app
