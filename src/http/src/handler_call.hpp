// One request as the route handlers see it. Private to the http module.
#pragma once

#include <string_view>

#include "hsm2fa/http/exchange.hpp"
#include "hsm2fa/http/metrics.hpp"
#include "hsm2fa/service/two_factor_service.hpp"
#include "json_body.hpp"
#include "routes.hpp"

namespace hsm2fa::http {

struct Call {
  service::TwoFactorService& service;
  const RouteMatch& route;
  const service::Caller& caller;
  const JsonBody& body;
  Metrics& metrics;
  std::string_view target;  // path and query, as received
};

// The push approval routes (push_handlers.cpp).
Response register_device(const Call& call);
Response list_devices(const Call& call);
Response delete_device(const Call& call);
Response create_challenge(const Call& call);
Response challenge_state(const Call& call);
Response device_challenges(const Call& call);
Response challenge_response(const Call& call);
Response challenge_code(const Call& call);

}  // namespace hsm2fa::http
