// The SQLite Store: concurrent reads on pooled reader connections (WAL), writes batched by group
// commit on one writer connection (group_commit.hpp): one transaction and one fsync for the
// writes that arrive while the previous batch is being synced. Instances on the same file, in
// this or other processes, stay consistent: every batch is a BEGIN IMMEDIATE transaction and the
// busy timeout queues them.
#pragma once

#include <memory>
#include <string>

#include "hsm2fa/result.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::store::sqlite {

// Opens, configures and migrates the database at `path` (see open_store()).
Result<std::shared_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace hsm2fa::store::sqlite
