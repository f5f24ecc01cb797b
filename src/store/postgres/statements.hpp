// Every statement the PostgreSQL Store runs, prepared once per connection on first use.
#pragma once

#include <cstddef>

namespace hsm2fa::store::postgres {

enum class Sql : std::size_t {
  ping,
  select_credentials,
  select_credentials_after,
  lock_user,
  delete_pending,
  insert_pending,
  pending_owner,
  lock_pending,
  delete_active,
  activate,
  delete_all,
  clear_throttle,
  accept_step,
  credential_exists,
  select_user,
  store_throttle,
  set_two_factor,
  set_two_factor_many,
  lock_email_code,
  upsert_email_code,
  select_email_code,
  take_email_code,
  count_email_attempt,
  delete_email_code,
  add_device,
  select_devices,
  select_device,
  delete_device,
  recent_challenges,
  add_challenge,
  select_challenge,
  pending_challenges,
  answer_challenge,
  replace_seed,
};
inline constexpr std::size_t kStatementCount = static_cast<std::size_t>(Sql::replace_seed) + 1;

struct Statement {
  const char* name;  // the prepared statement's name on the server
  const char* text;
};

const Statement& statement(Sql sql) noexcept;

}  // namespace hsm2fa::store::postgres
