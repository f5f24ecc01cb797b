// Opens the Store named by the config's `store.url`.
#pragma once

#include <memory>
#include <string_view>

#include "hsm2fa/result.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::store {

// "sqlite:PATH": an SQLite database file (relative paths are relative to the working
// directory), created with mode 0600 if missing and migrated to the current schema.
// Errors: config (unknown scheme, empty path, a database written by a newer hsm2fa),
// store_unavailable (cannot create, open, read or migrate the database).
Result<std::shared_ptr<Store>> open_store(std::string_view url);

}  // namespace hsm2fa::store
