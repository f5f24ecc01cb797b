#include "hsm2fa/store/open_store.hpp"

#include <string>

#include "postgres/postgres_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace hsm2fa::store {

Result<std::shared_ptr<Store>> open_store(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.starts_with(kSqlite)) {
    const std::string_view path = url.substr(kSqlite.size());
    // An in-memory or nameless database would silently lose every replay mark on restart.
    if (path.empty() || path.starts_with(':')) {
      return make_error(Errc::config, "store.url: sqlite needs a file path");
    }
    return sqlite::open_sqlite_store(std::string(path));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return postgres::open_postgres_store(url);
  }
  return make_error(Errc::config,
                    "store.url: unsupported scheme (expected sqlite:PATH or postgresql://...)");
}

}  // namespace hsm2fa::store
