#include "populate.hpp"

#include <chrono>
#include <ctime>
#include <future>
#include <vector>

#include "hsm2fa/store.hpp"
#include "hsm2fa/store/open_store.hpp"

namespace hsm2fa::bench {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One transaction's worth of fresh credentials, users [first, first + count).
Result<std::vector<TotpCredential>> generate_chunk(SeedVault& vault, const PopulatePlan& plan,
                                                   std::size_t first, std::size_t count) {
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::vector<TotpCredential> chunk;
  chunk.reserve(count);
  for (std::size_t i = first; i < first + count; ++i) {
    auto seed = vault.generate(HashAlg::sha1, false);  // active: wrapped under the active KEK
    if (!seed) return std::move(seed).error();
    TotpCredential c;
    c.tenant = plan.tenant;
    c.user = plan.user_prefix + std::to_string(i);
    c.state = CredentialState::active;
    c.seed = std::move(*seed);
    c.created_at = now;
    chunk.push_back(std::move(c));
  }
  return chunk;
}

}  // namespace

Result<PopulateResult> populate_users(const PopulatePlan& plan) {
  auto token = hsm::open_token(plan.token);
  if (!token) return std::move(token).error();
  auto vault = hsm::make_seed_vault(*token, plan.token);
  if (!vault) return std::move(vault).error();
  auto store = store::open_store(plan.store_url);
  if (!store) return std::move(store).error();

  PopulateResult result;
  const Clock::time_point start = Clock::now();
  // The store writes one chunk while the token generates the next.
  std::future<Status> writing;
  double insert_seconds = 0;
  auto finish_write = [&]() -> Status {
    if (!writing.valid()) return {};
    return writing.get();
  };
  for (std::size_t first = 0; first < plan.users; first += Store::kImportBatchRows) {
    const std::size_t count = std::min(Store::kImportBatchRows, plan.users - first);
    const Clock::time_point generating = Clock::now();
    auto chunk = generate_chunk(**vault, plan, first, count);
    if (!chunk) return std::move(chunk).error();
    result.generate_seconds += since(generating);
    if (auto written = finish_write(); !written) return std::move(written).error();
    writing = std::async(std::launch::async,
                         [&store, &insert_seconds, rows = std::move(*chunk)]() -> Status {
                           const Clock::time_point inserting = Clock::now();
                           Status status = (*store)->import_totp_batch(rows);
                           insert_seconds += since(inserting);
                           return status;
                         });
  }
  if (auto written = finish_write(); !written) return std::move(written).error();
  result.users = plan.users;
  result.insert_seconds = insert_seconds;
  result.seconds = since(start);
  store->reset();
  vault->reset();
  token->reset();
  return result;
}

}  // namespace hsm2fa::bench
