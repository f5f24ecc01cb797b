#include <spdlog/spdlog.h>

#include "use_cases.hpp"

namespace hsm2fa::service::use_case {

// The store forgets the credentials first, so no request can use a seed being destroyed. A
// seed that then cannot be destroyed is reported (hsm error) even though the credential is gone:
// the caller asked for destruction in the token and must not be told it happened.
Status delete_totp(const ServiceContext& ctx, std::string_view tenant, std::string_view user) {
  if (auto config = resolve_tenant(ctx, tenant, user); !config) return std::move(config).error();
  auto seeds = ctx.store->delete_totp(tenant, user);
  if (!seeds) return std::move(seeds).error();
  if (seeds->empty()) return make_error(Errc::not_found, "no TOTP enrollment");
  Status result;
  for (const auto& seed : *seeds) {
    if (auto st = ctx.vault->destroy(seed); !st) {
      spdlog::error("could not destroy a deleted seed: {}", st.error().message);
      result = std::move(st).error();
    }
  }
  if (result) spdlog::info("totp deleted (tenant={})", tenant);
  return result;
}

}  // namespace hsm2fa::service::use_case
