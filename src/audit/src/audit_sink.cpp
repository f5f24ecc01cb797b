#include "hsm2fa/audit/audit_sink.hpp"

#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::audit {
namespace {

class LogSink final : public service::AuditSink {
 public:
  explicit LogSink(std::shared_ptr<AuditLog> log) : log_(std::move(log)) {}

  Status record(const service::Caller& caller, const service::AuditEvent& event) override {
    AuditRecord record;
    record.request_id = caller.request_id;
    record.actor = caller.actor;
    record.action = std::string(event.action);
    record.tenant = std::string(event.tenant);
    record.user = std::string(event.user);
    record.outcome = std::string(event.outcome);
    record.reason = std::string(event.reason);
    return log_->record(record);
  }

  Status ready() override { return log_->ready(); }

 private:
  std::shared_ptr<AuditLog> log_;
};

}  // namespace

std::shared_ptr<service::AuditSink> make_audit_sink(std::shared_ptr<AuditLog> log) {
  return std::make_shared<LogSink>(std::move(log));
}

}  // namespace hsm2fa::audit
