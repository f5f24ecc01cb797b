// Every statement the PostgreSQL Store runs, prepared once per connection on first use.
#pragma once

#include <cstddef>

namespace hsm2fa::store::postgres {

enum class Sql : std::size_t {
  ping,
  select_credentials,
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
};
inline constexpr std::size_t kStatementCount = static_cast<std::size_t>(Sql::set_two_factor) + 1;

struct Statement {
  const char* name;  // the prepared statement's name on the server
  const char* text;
};

const Statement& statement(Sql sql) noexcept;

}  // namespace hsm2fa::store::postgres
