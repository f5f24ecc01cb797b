// The handler's bulk and email-code routes over the scriptable service.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fake_service.hpp"
#include "hsm2fa/http/request_handler.hpp"

namespace hsm2fa::http {
namespace {

namespace json = boost::json;
using testing::FakeService;

constexpr std::uint32_t kDaemonUid = 4242;
const Peer kDaemon{Peer::Transport::unix_socket, kDaemonUid, 4242};

class FlowsHandlerTest : public ::testing::Test {
 protected:
  Response call(std::string method, std::string target, std::string body = "") {
    Request r{std::move(method), std::move(target), body.empty() ? "" : "application/json",
              std::move(body)};
    return handler_.handle(r, kDaemon);
  }
  static json::object body_of(const Response& r) { return json::parse(r.body).as_object(); }

  std::shared_ptr<FakeService> fake_ = std::make_shared<FakeService>();
  RequestHandler handler_{fake_, AccessPolicy({}, kDaemonUid), std::make_shared<Metrics>("1"), "1"};
};

const std::string kBulk = "/v1/tenants/acme/two-factor/bulk";

TEST_F(FlowsHandlerTest, BulkReportsEveryEntryInOrder) {
  const Response r = call("POST", kBulk, R"({"users":["a","bad",7,"b"],"enabled":true})");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(fake_->last_call, "bulk");
  EXPECT_EQ(fake_->last_tenant, "acme");
  const auto results = body_of(r).at("results").as_array();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].at("user"), "a");
  EXPECT_EQ(results[0].at("ok"), true);
  EXPECT_EQ(results[1].at("ok"), false);
  EXPECT_EQ(results[1].at("error").at("code"), "invalid_request");
  EXPECT_EQ(results[2].at("user"), 7);
  EXPECT_EQ(results[2].at("ok"), false);
  EXPECT_EQ(results[3].at("user"), "b");
  EXPECT_EQ(results[3].at("ok"), true);
}

TEST_F(FlowsHandlerTest, BulkDisableNeedsAReasonAndUsersAreRequired) {
  EXPECT_EQ(call("POST", kBulk, R"({"users":["a"],"enabled":false})").status, 400u);
  EXPECT_EQ(call("POST", kBulk, R"({"enabled":true})").status, 400u);
  EXPECT_EQ(call("POST", kBulk, R"({"users":"a","enabled":true})").status, 400u);
  EXPECT_EQ(call("GET", kBulk).status, 405u);
  const Response ok = call(
      "POST", kBulk,
      R"({"users":["a"],"enabled":false,"reason":"migration","until":"2030-01-01T00:00:00Z"})");
  ASSERT_EQ(ok.status, 200u);
  EXPECT_EQ(fake_->last_reason, "migration");
  EXPECT_EQ(fake_->last_until, 1893456000);
}

TEST_F(FlowsHandlerTest, EmailCodeOverSmtpHasNoCode) {
  const Response r =
      call("POST", "/v1/tenants/acme/users/alice/email-code", R"({"email":"a@example.com"})");
  ASSERT_EQ(r.status, 202u) << r.body;
  const auto b = body_of(r);
  EXPECT_EQ(b.at("delivery"), "smtp");
  EXPECT_FALSE(b.contains("code"));
  EXPECT_TRUE(b.contains("expires_at"));
  EXPECT_TRUE(b.contains("resend_after"));
  EXPECT_EQ(fake_->last_code, "a@example.com");
}

TEST_F(FlowsHandlerTest, EmailCodeToTheCallerIsInTheBodyAndSensitive) {
  fake_->email_to_caller = true;
  const Response r =
      call("POST", "/v1/tenants/acme/users/alice/email-code", R"({"email":"a@example.com"})");
  ASSERT_EQ(r.status, 202u);
  EXPECT_TRUE(r.sensitive);
  const auto b = body_of(r);
  EXPECT_EQ(b.at("delivery"), "caller");
  EXPECT_EQ(b.at("code"), "12345678");
}

TEST_F(FlowsHandlerTest, DeliveryFailureIs502) {
  fake_->fail = make_error(Errc::delivery_failed, "relay down");
  const Response r =
      call("POST", "/v1/tenants/acme/users/alice/email-code", R"({"email":"a@example.com"})");
  EXPECT_EQ(r.status, 502u);
  EXPECT_EQ(body_of(r).at("error").at("code"), "delivery_failed");
  EXPECT_EQ(call("POST", "/v1/tenants/acme/users/alice/email-code", "{}").status, 400u);
}

}  // namespace
}  // namespace hsm2fa::http
