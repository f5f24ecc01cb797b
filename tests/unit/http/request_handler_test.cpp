#include "hsm2fa/http/request_handler.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fake_service.hpp"

namespace hsm2fa::http {
namespace {

namespace json = boost::json;
using testing::FakeService;

constexpr std::uint32_t kDaemonUid = 4242;
const Peer kDaemon{Peer::Transport::unix_socket, kDaemonUid, 4242};
const Peer kRoot{Peer::Transport::unix_socket, 0, 0};
const Peer kStranger{Peer::Transport::unix_socket, 1234, 1234};

class HandlerTest : public ::testing::Test {
 protected:
  void use_access(AccessConfig config) {
    handler_ = std::make_unique<RequestHandler>(fake_, AccessPolicy(std::move(config), kDaemonUid),
                                                metrics_, "1.2.3");
  }
  Response call(std::string method, std::string target, std::string body = "",
                const Peer& peer = kDaemon, std::string content_type = "application/json") {
    Request r{std::move(method), std::move(target), body.empty() ? "" : content_type,
              std::move(body)};
    return handler_->handle(r, peer);
  }
  static json::object body_of(const Response& r) { return json::parse(r.body).as_object(); }
  static std::string error_code(const Response& r) {
    return std::string(body_of(r).at("error").at("code").as_string());
  }

  std::shared_ptr<FakeService> fake_ = std::make_shared<FakeService>();
  std::shared_ptr<Metrics> metrics_ = std::make_shared<Metrics>("1.2.3");
  std::unique_ptr<RequestHandler> handler_ =
      std::make_unique<RequestHandler>(fake_, AccessPolicy({}, kDaemonUid), metrics_, "1.2.3");
};

const std::string kUser = "/v1/tenants/acme/users/alice";

TEST_F(HandlerTest, HealthIsOkWhenBothPartsAreUp) {
  const Response r = call("GET", "/v1/health");
  EXPECT_EQ(r.status, 200u);
  const auto b = body_of(r);
  EXPECT_EQ(b.at("status"), "ok");
  EXPECT_EQ(b.at("hsm"), "up");
  EXPECT_EQ(b.at("store"), "up");
  EXPECT_EQ(b.at("version"), "1.2.3");
  EXPECT_EQ(r.content_type, "application/json");
}

TEST_F(HandlerTest, HealthIsDegradedWhenTheTokenIsDown) {
  fake_->health_answer.hsm_up = false;
  const Response r = call("GET", "/v1/health");
  EXPECT_EQ(r.status, 503u);
  const auto b = body_of(r);
  EXPECT_EQ(b.at("status"), "degraded");
  EXPECT_EQ(b.at("hsm"), "down");
  EXPECT_EQ(b.at("store"), "up");
  EXPECT_EQ(error_code(r), "hsm_unavailable");
}

TEST_F(HandlerTest, EveryResponseHasAFreshRequestIdThatTheServiceSees) {
  const Response a = call("GET", kUser);
  const Response b = call("GET", "/nope");
  ASSERT_EQ(a.request_id.size(), 32u);
  EXPECT_EQ(a.request_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(b.request_id.size(), 32u);
  EXPECT_NE(a.request_id, b.request_id);
  call("POST", kUser + "/verify", R"({"code":"123456"})");
  const Response c = call("POST", kUser + "/verify", R"({"code":"123456"})");
  EXPECT_EQ(fake_->last_request_id, c.request_id);
}

TEST_F(HandlerTest, UnknownRouteIs404WithTheEnvelope) {
  for (const char* target : {"/", "/v1", "/v1/tenants/acme/users/alice/nope", "/v2/health",
                             "/v1/tenants/acme/users/alice/totp/x/y"}) {
    const Response r = call("GET", target);
    EXPECT_EQ(r.status, 404u) << target;
    EXPECT_EQ(error_code(r), "not_found") << target;
    EXPECT_FALSE(body_of(r).at("error").at("message").as_string().empty());
  }
}

TEST_F(HandlerTest, WrongMethodIs405WithAllow) {
  const Response r = call("POST", "/v1/health");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(error_code(r), "method_not_allowed");
  EXPECT_EQ(r.allow, "GET");
  EXPECT_EQ(call("GET", kUser + "/verify").status, 405u);
  EXPECT_EQ(call("PUT", kUser + "/totp").allow, "GET, POST, DELETE");
}

TEST_F(HandlerTest, WithoutAccessSectionOnlyRootAndTheDaemonUidMayCall) {
  EXPECT_EQ(call("GET", kUser, "", kRoot).status, 200u);
  EXPECT_EQ(call("DELETE", kUser + "/totp", "", kDaemon).status, 204u);
  const Response r = call("GET", kUser, "", kStranger);
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(error_code(r), "forbidden");
  EXPECT_EQ(call("GET", "/v1/health", "", kStranger).status, 403u);
  EXPECT_EQ(call("GET", kUser, "", Peer{Peer::Transport::tcp, {}, {}}).status, 403u);
}

TEST_F(HandlerTest, RolesFromTheAccessSection) {
  AccessConfig access;
  access.configured = true;
  access.verifier.uids = {1001};
  access.enroller.gids = {2002};
  access.admin.uids = {3003};
  use_access(access);
  const Peer verifier{Peer::Transport::unix_socket, 1001, 1};
  const Peer enroller{Peer::Transport::unix_socket, 7, 2002};
  const Peer admin{Peer::Transport::unix_socket, 3003, 3};

  EXPECT_EQ(call("POST", kUser + "/verify", R"({"code":"123456"})", verifier).status, 200u);
  EXPECT_EQ(call("GET", kUser, "", verifier).status, 200u);
  EXPECT_EQ(call("POST", kUser + "/totp", "", verifier).status, 403u);
  EXPECT_EQ(call("POST", kUser + "/totp", "", enroller).status, 201u);
  EXPECT_EQ(call("GET", kUser + "/totp/pairing", "", enroller).status, 200u);
  EXPECT_EQ(call("POST", kUser + "/verify", R"({"code":"123456"})", enroller).status, 200u);
  EXPECT_EQ(call("POST", kUser + "/unlock", "", enroller).status, 403u);
  EXPECT_EQ(call("DELETE", kUser + "/totp", "", enroller).status, 403u);
  EXPECT_EQ(call("PUT", kUser + "/two-factor", R"({"enabled":true})", enroller).status, 403u);
  EXPECT_EQ(call("POST", kUser + "/unlock", "", admin).status, 200u);
  EXPECT_EQ(call("DELETE", kUser + "/totp", "", admin).status, 204u);
  // With an [access] section, even root and the daemon's uid need a grant.
  EXPECT_EQ(call("GET", kUser, "", kRoot).status, 403u);
  EXPECT_EQ(call("GET", kUser, "", kDaemon).status, 403u);
}

TEST_F(HandlerTest, UserViewShape) {
  fake_->totp = service::TotpStatus::active;
  const Response r = call("GET", kUser);
  ASSERT_EQ(r.status, 200u);
  const auto b = body_of(r);
  EXPECT_EQ(b.at("tenant"), "acme");
  EXPECT_EQ(b.at("user"), "alice");
  EXPECT_EQ(b.at("two_factor").at("enabled"), false);
  EXPECT_EQ(b.at("methods").at("totp"), "active");
  EXPECT_EQ(b.at("methods").at("email"), false);
  EXPECT_EQ(b.at("methods").at("push_devices"), 0);
  EXPECT_TRUE(b.at("locked_until").is_null());
}

TEST_F(HandlerTest, PercentEncodedIdentifiersAreDecodedAndValidated) {
  EXPECT_EQ(call("GET", "/v1/tenants/default/users/bob%40example.com").status, 200u);
  EXPECT_EQ(fake_->last_user, "bob@example.com");
  EXPECT_EQ(call("GET", "/v1/tenants/default/users/bob%20x").status, 400u);
  EXPECT_EQ(call("GET", "/v1/tenants/default/users/bob%2").status, 400u);
  EXPECT_EQ(call("GET", "/v1/tenants/default/users/" + std::string(129, 'a')).status, 400u);
  EXPECT_EQ(call("GET", "/v1/tenants/default/users/" + std::string(128, 'a')).status, 200u);
}

TEST_F(HandlerTest, TwoFactorSwitch) {
  Response r = call("PUT", kUser + "/two-factor", R"({"enabled":true})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(body_of(r).at("two_factor").at("enabled"), true);
  EXPECT_TRUE(fake_->last_enabled);

  r = call("PUT", kUser + "/two-factor", R"({"enabled":false})");
  EXPECT_EQ(r.status, 400u) << "disabling needs a reason";
  r = call("PUT", kUser + "/two-factor",
           R"({"enabled":false,"reason":"lost phone","until":"2030-01-01T00:00:00Z"})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(fake_->last_reason, "lost phone");
  EXPECT_EQ(fake_->last_until, 1893456000);
  r = call("PUT", kUser + "/two-factor", R"({"enabled":false,"reason":"x","until":"tomorrow"})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(call("PUT", kUser + "/two-factor", "{}").status, 400u);
  EXPECT_EQ(call("PUT", kUser + "/two-factor", R"({"enabled":"yes"})").status, 400u);
}

TEST_F(HandlerTest, EnrollAnswers201WithThePairingAndMarksItSensitive) {
  const Response r =
      call("POST", kUser + "/totp", R"({"algorithm":"SHA256","digits":8,"period":30})");
  ASSERT_EQ(r.status, 201u);
  EXPECT_TRUE(r.sensitive);
  const auto b = body_of(r);
  EXPECT_EQ(b.at("state"), "pending");
  EXPECT_EQ(b.at("secret").as_string(), FakeService::kSecret);
  EXPECT_EQ(b.at("otpauth_uri").as_string(), FakeService::kUri);
  EXPECT_EQ(b.at("expires_at"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(fake_->last_enroll.algorithm, HashAlg::sha256);
  EXPECT_EQ(fake_->last_enroll.digits, 8);
  EXPECT_FALSE(fake_->last_enroll.replace);

  EXPECT_EQ(call("POST", kUser + "/totp", "").status, 201u) << "the body is optional";
  EXPECT_FALSE(fake_->last_enroll.algorithm.has_value());
  EXPECT_EQ(call("POST", kUser + "/totp", R"({"replace":true})").status, 201u);
  EXPECT_TRUE(fake_->last_enroll.replace);
  EXPECT_EQ(call("POST", kUser + "/totp", R"({"algorithm":"MD5"})").status, 400u);
  EXPECT_EQ(call("POST", kUser + "/totp", R"({"digits":7})").status, 400u);
  EXPECT_EQ(call("POST", kUser + "/totp", R"({"digits":"6"})").status, 400u);
  EXPECT_EQ(call("POST", kUser + "/totp", R"({"digits":6.5})").status, 400u);
}

TEST_F(HandlerTest, PairingAndConfirm) {
  EXPECT_EQ(call("GET", kUser + "/totp/pairing").status, 200u);
  fake_->fail = make_error(Errc::export_locked, "the seed is locked");
  Response r = call("GET", kUser + "/totp/pairing");
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(error_code(r), "export_locked");
  fake_->fail.reset();

  r = call("POST", kUser + "/totp/confirm", R"({"code":"123456"})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(body_of(r).at("valid"), true);
  EXPECT_EQ(body_of(r).at("state"), "active");
  r = call("POST", kUser + "/totp/confirm", R"({"code":"000000"})");
  EXPECT_EQ(body_of(r).at("valid"), false);
  EXPECT_EQ(body_of(r).at("state"), "pending");
}

TEST_F(HandlerTest, VerifyOutcomes) {
  Response r = call("POST", kUser + "/verify", R"({"code":"123456"})");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(body_of(r).at("valid"), true);
  EXPECT_EQ(body_of(r).at("method"), "totp");
  EXPECT_EQ(fake_->last_code, "123456");

  fake_->verify_answer = {false, "", service::VerifyReason::replayed};
  r = call("POST", kUser + "/verify", R"({"code":"123456"})");
  EXPECT_EQ(body_of(r).at("valid"), false);
  EXPECT_EQ(body_of(r).at("reason"), "replayed");
  EXPECT_FALSE(body_of(r).contains("method"));
}

TEST_F(HandlerTest, CodesMustBeJsonStrings) {
  for (const char* body :
       {R"({"code":123456})", R"({"code":null})", R"({})", R"({"code":["123456"]})"}) {
    const Response r = call("POST", kUser + "/verify", body);
    EXPECT_EQ(r.status, 400u) << body;
    EXPECT_EQ(error_code(r), "invalid_request") << body;
  }
  EXPECT_EQ(fake_->last_call, "") << "the service never saw those";
}

TEST_F(HandlerTest, BadJsonUnknownFieldsAndWrongContentTypeAre400) {
  EXPECT_EQ(call("POST", kUser + "/verify", R"({"code":"1234)").status, 400u);
  EXPECT_EQ(call("POST", kUser + "/verify", R"(["123456"])").status, 400u);
  EXPECT_EQ(call("POST", kUser + "/verify", R"({"code":"123456","time":1})").status, 400u)
      << "no request field can set the time";
  const Response r = call("POST", kUser + "/verify", R"({"code":"123456"})", kDaemon, "text/plain");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "invalid_request");
  EXPECT_EQ(call("POST", kUser + "/verify", R"({"code":"123456"})", kDaemon,
                 "application/json; charset=utf-8")
                .status,
            200u);
  EXPECT_EQ(
      call("POST", kUser + "/verify", R"({"code":"123456"})", kDaemon, "Application/JSON").status,
      200u);
}

TEST_F(HandlerTest, ServiceErrorsMapToStatuses) {
  struct Case {
    Errc errc;
    unsigned status;
    const char* code;
  };
  for (const Case& c :
       {Case{Errc::invalid_argument, 400, "invalid_request"},
        Case{Errc::not_found, 404, "not_found"}, Case{Errc::conflict, 409, "conflict"},
        Case{Errc::export_locked, 403, "export_locked"},
        Case{Errc::hsm_unavailable, 503, "hsm_unavailable"},
        Case{Errc::hsm_error, 503, "hsm_unavailable"},
        Case{Errc::pin_incorrect, 503, "hsm_unavailable"},
        Case{Errc::pin_locked, 503, "hsm_unavailable"},
        Case{Errc::store_unavailable, 503, "store_unavailable"},
        Case{Errc::audit_unavailable, 503, "audit_unavailable"},
        Case{Errc::tampered, 500, "internal"}, Case{Errc::internal, 500, "internal"}}) {
    fake_->fail = make_error(c.errc, "detail CKR_DEVICE_REMOVED");
    const Response r = call("POST", kUser + "/verify", R"({"code":"123456"})");
    EXPECT_EQ(r.status, c.status) << to_string(c.errc);
    EXPECT_EQ(error_code(r), c.code) << to_string(c.errc);
    if (c.status >= 500) {
      EXPECT_EQ(r.body.find("CKR_"), std::string::npos) << "5xx details stay in the log";
    }
  }
}

TEST_F(HandlerTest, RateLimitedCarriesRetryAfter) {
  Error e = make_error(Errc::rate_limited, "too many failures");
  e.retry_after_seconds = 17;
  fake_->fail = e;
  const Response r = call("POST", kUser + "/verify", R"({"code":"123456"})");
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.retry_after, 17);
  EXPECT_EQ(error_code(r), "rate_limited");
  EXPECT_EQ(body_of(r).at("error").at("retry_after"), 17);
}

TEST_F(HandlerTest, DeleteIs204WithoutBody) {
  const Response r = call("DELETE", kUser + "/totp");
  EXPECT_EQ(r.status, 204u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(fake_->last_call, "delete");
}

TEST_F(HandlerTest, GetTotpReportsTheState) {
  fake_->totp = service::TotpStatus::pending;
  const Response r = call("GET", kUser + "/totp");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(body_of(r).at("state"), "pending");
}

TEST_F(HandlerTest, MetricsUseRouteTemplatesNeverUserIds) {
  call("GET", "/v1/tenants/acme/users/secret-user-id");
  call("POST", "/v1/tenants/acme/users/secret-user-id/verify", R"({"code":"123456"})");
  fake_->verify_answer = {false, "", service::VerifyReason::wrong_code};
  call("POST", "/v1/tenants/acme/users/secret-user-id/verify", R"({"code":"000000"})");
  call("GET", "/v1/tenants/acme/users/secret-user-id/nope");
  const Response r = call("GET", "/metrics");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body.find("secret-user-id"), std::string::npos);
  EXPECT_EQ(r.body.find("acme"), std::string::npos);
  EXPECT_NE(r.body.find("route=\"/v1/tenants/{tenant}/users/{user}/verify\",method=\"POST\","
                        "status=\"200\"} 2"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("route=\"unmatched\""), std::string::npos);
  EXPECT_NE(r.body.find("hsm2fa_verify_total{result=\"valid\"} 1"), std::string::npos);
  EXPECT_NE(r.body.find("hsm2fa_verify_total{result=\"wrong_code\"} 1"), std::string::npos);
  EXPECT_NE(r.body.find("hsm2fa_build_info{version=\"1.2.3\"} 1"), std::string::npos);
  EXPECT_NE(r.body.find("hsm2fa_http_request_duration_seconds_count 4"), std::string::npos);
}

TEST_F(HandlerTest, MetricsIncludeTokenStatsFromTheCallback) {
  metrics_ = std::make_shared<Metrics>("1.2.3", [] {
    TokenMetrics t;
    t.up = true;
    t.calls = 99;
    t.errors_by_rv["CKR_DEVICE_REMOVED"] = 2;
    t.sessions_in_use = 3;
    return t;
  });
  use_access({});
  const Response r = call("GET", "/metrics");
  EXPECT_NE(r.body.find("hsm2fa_hsm_calls_total 99"), std::string::npos);
  EXPECT_NE(r.body.find("hsm2fa_hsm_errors_total{ckr=\"CKR_DEVICE_REMOVED\"} 2"),
            std::string::npos);
  EXPECT_NE(r.body.find("hsm2fa_hsm_sessions_in_use 3"), std::string::npos);
  EXPECT_NE(r.body.find("hsm2fa_hsm_up 1"), std::string::npos);
}

TEST_F(HandlerTest, ErrorResponsesCarryTheEnvelope) {
  const Response r = error_response(413, "payload_too_large", "too big");
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(error_code(r), "payload_too_large");
  EXPECT_EQ(r.request_id.size(), 32u);
  EXPECT_EQ(r.content_type, "application/json");
}

}  // namespace
}  // namespace hsm2fa::http
