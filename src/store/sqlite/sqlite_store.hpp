// The SQLite Store: one connection, serialised by a mutex (SQLite writes one transaction at a
// time anyway). Instances on the same file, in this or other processes, stay consistent: every
// write is a BEGIN IMMEDIATE transaction and the busy timeout queues them.
#pragma once

#include <memory>
#include <string>

#include "hsm2fa/result.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::store::sqlite {

// Opens, configures and migrates the database at `path` (see open_store()).
Result<std::shared_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace hsm2fa::store::sqlite
