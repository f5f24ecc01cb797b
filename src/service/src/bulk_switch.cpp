#include <algorithm>

#include "use_cases.hpp"
#include "validation.hpp"

namespace hsm2fa::service::use_case {
namespace {

// Users per store transaction: one commit (one fsync) per batch instead of one per user, while
// a batch stays short enough not to hold the write lock for long.
constexpr std::size_t kBatch = 1000;

}  // namespace

Result<std::vector<BulkOutcome>> set_two_factor_bulk(const ServiceContext& ctx,
                                                     std::string_view tenant,
                                                     std::span<const std::string> users,
                                                     bool enabled, std::string_view reason,
                                                     std::int64_t until) {
  if (!is_identifier(tenant)) {
    return make_error(Errc::invalid_argument, "tenant must be 1-128 bytes of [A-Za-z0-9._@+-]");
  }
  if (!ctx.config.tenants.contains(tenant)) return make_error(Errc::not_found, "unknown tenant");
  if (users.size() > kMaxBulkUsers) {
    return make_error(Errc::invalid_argument, "at most 10000 users per request");
  }
  if (enabled) {
    reason = {};
    until = 0;
  } else {
    if (!is_reason(reason)) {
      return make_error(Errc::invalid_argument, "disabling 2FA needs a reason (1-1024 bytes)");
    }
    if (until != 0 && until <= ctx.now_seconds()) {
      return make_error(Errc::invalid_argument, "until must be in the future");
    }
  }

  std::vector<BulkOutcome> outcomes;
  outcomes.reserve(users.size());
  std::vector<std::size_t> valid;  // indexes into outcomes
  for (const auto& user : users) {
    outcomes.push_back(BulkOutcome{user, std::nullopt});
    if (!is_identifier(user)) {
      outcomes.back().error =
          make_error(Errc::invalid_argument, "user must be 1-128 bytes of [A-Za-z0-9._@+-]");
    } else {
      valid.push_back(outcomes.size() - 1);
    }
  }
  for (std::size_t start = 0; start < valid.size(); start += kBatch) {
    const std::size_t end = std::min(valid.size(), start + kBatch);
    std::vector<std::string> batch;
    batch.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) batch.push_back(outcomes[valid[i]].user);
    // A failed batch fails its own users only; the store rolled the whole batch back.
    if (auto st = ctx.store->set_two_factor_many(tenant, batch, enabled, reason, until); !st) {
      for (std::size_t i = start; i < end; ++i) outcomes[valid[i]].error = st.error();
    }
  }
  return outcomes;
}

}  // namespace hsm2fa::service::use_case
