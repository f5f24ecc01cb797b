// Moves WAL frames into the database file on a thread and connection of its own. SQLite's
// auto-checkpoint runs inside the commit that crosses its threshold, so the writer leading a group
// commit would copy pages and fsync the database file while every queued writer waits behind it:
// a latency spike for a whole batch every thousand pages. Here the writer only wakes this thread.
//
// Passes are PASSIVE: they never wait for or block a writer or reader, and frames a reader still
// needs stay for a later pass. Durability is the WAL's (synchronous=FULL), unchanged: a checkpoint
// only copies frames that are already durable.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "connection.hpp"

namespace hsm2fa::store::sqlite {

class Checkpointer {
 public:
  // Opens its own connection to `path` and installs a WAL hook on `writer` (replacing SQLite's
  // auto-checkpoint on that connection) that wakes the thread once the WAL holds `frames` frames.
  // `writer` must outlive the Checkpointer.
  static Result<std::unique_ptr<Checkpointer>> start(Connection& writer, const std::string& path,
                                                     int frames = 1000);
  ~Checkpointer();  // removes the hook, stops the thread
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  std::uint64_t passes() const noexcept { return passes_.load(std::memory_order_relaxed); }
  // Runs one pass now on the caller's thread (tests, shutdown). SQLITE_OK or SQLite's code.
  int pass();

 private:
  Checkpointer(Connection& writer, std::unique_ptr<Connection> own, int frames);
  static int on_commit(void* self, sqlite3* db, const char* name, int frames);
  void run(std::stop_token stop);

  Connection& writer_;
  std::unique_ptr<Connection> own_;
  const int frames_;
  std::mutex wait_mutex_;  // guards due_ only: the writer's hook takes it, never a checkpoint
  std::condition_variable_any wake_;
  bool due_ = false;
  std::mutex pass_mutex_;  // one pass at a time on own_
  std::atomic<std::uint64_t> passes_{0};
  std::jthread thread_;  // last: stops before the members above go
};

}  // namespace hsm2fa::store::sqlite
