// The service's AuditSink seam over the log.
#include <boost/json.hpp>

#include "audit_fixture.hpp"
#include "hsm2fa/audit/audit_sink.hpp"
#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::audit::testing {
namespace {

using Sink = AuditFixture;

TEST_F(Sink, RecordsTheCallerAndTheEvent) {
  auto log = open_log();
  ASSERT_TRUE(log);
  auto sink = make_audit_sink(std::shared_ptr<AuditLog>(std::move(log)));
  service::Caller caller{"uid=33,gid=33", "req-42"};
  ASSERT_TRUE(sink->record(caller, {"totp.confirm", "acme", "alice", "ok", ""}).ok());
  auto o = boost::json::parse(read_lines(current())[0]).as_object();
  EXPECT_EQ(str(o.at("actor")), "uid=33,gid=33");
  EXPECT_EQ(str(o.at("request_id")), "req-42");
  EXPECT_EQ(str(o.at("action")), "totp.confirm");
  EXPECT_EQ(str(o.at("user")), "alice");
  EXPECT_FALSE(o.contains("ckr"));
}

TEST_F(Sink, AFailedRecordIsAuditUnavailable) {
  auto log = open_log();
  ASSERT_TRUE(log);
  auto sink = make_audit_sink(std::shared_ptr<AuditLog>(std::move(log)));
  keys_->fail_seal = true;
  auto status = sink->record(service::Caller{"uid=1", "r"}, {"verify", "t", "u", "valid", ""});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::audit_unavailable);
}

}  // namespace
}  // namespace hsm2fa::audit::testing
