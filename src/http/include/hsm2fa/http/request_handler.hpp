// The pure request handler: routing, JSON validation, role checks, the service call and the
// mapping of its errors to API statuses. No socket; blocking (it calls the service), so the
// server runs it on its worker pool. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "hsm2fa/http/access_policy.hpp"
#include "hsm2fa/http/exchange.hpp"
#include "hsm2fa/http/metrics.hpp"
#include "hsm2fa/service/kek_rotation.hpp"
#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::http {

inline constexpr std::size_t kBodyLimit = 16 * 1024;            // every route today
inline constexpr std::size_t kBulkBodyLimit = 2 * 1024 * 1024;  // reserved: the bulk route

class RequestHandler {
 public:
  // `kek_rotation` (may be null: rotation off) serves /v1/admin/kek-rotation.
  RequestHandler(std::shared_ptr<service::TwoFactorService> service, AccessPolicy access,
                 std::shared_ptr<Metrics> metrics, std::string version,
                 std::shared_ptr<service::KekRotation> kek_rotation = nullptr);

  // Never throws; every outcome is a Response with the API's envelope and a request id.
  Response handle(const Request& request, const Peer& peer) const;

  Metrics& metrics() const { return *metrics_; }
  // Where the service publishes challenge changes: long polls wait on it.
  std::shared_ptr<service::ChangeFeed> change_feed() const { return service_->change_feed(); }

 private:
  std::shared_ptr<service::TwoFactorService> service_;
  AccessPolicy access_;
  std::shared_ptr<Metrics> metrics_;
  std::string version_;
  std::shared_ptr<service::KekRotation> kek_rotation_;
};

}  // namespace hsm2fa::http
