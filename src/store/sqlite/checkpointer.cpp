#include "checkpointer.hpp"

#include <chrono>

namespace hsm2fa::store::sqlite {

Result<std::unique_ptr<Checkpointer>> Checkpointer::start(Connection& writer,
                                                          const std::string& path, int frames) {
  auto own = Connection::open(path);
  if (!own) return std::move(own).error();
  return std::unique_ptr<Checkpointer>(new Checkpointer(writer, std::move(*own), frames));
}

Checkpointer::Checkpointer(Connection& writer, std::unique_ptr<Connection> own, int frames)
    : writer_(writer), own_(std::move(own)), frames_(frames) {
  sqlite3_wal_hook(writer_.handle(), &Checkpointer::on_commit, this);
  thread_ = std::jthread([this](std::stop_token stop) { run(std::move(stop)); });
}

Checkpointer::~Checkpointer() {
  // The writer's owner serialises its use, and this runs under that owner: no commit is in
  // flight, so the hook cannot fire with `this` half destroyed.
  sqlite3_wal_hook(writer_.handle(), nullptr, nullptr);
  thread_.request_stop();
  wake_.notify_all();
}

int Checkpointer::on_commit(void* self, sqlite3*, const char*, int frames) {
  auto* checkpointer = static_cast<Checkpointer*>(self);
  if (frames >= checkpointer->frames_) {
    {
      std::lock_guard lock(checkpointer->wait_mutex_);
      checkpointer->due_ = true;
    }
    checkpointer->wake_.notify_one();
  }
  return SQLITE_OK;
}

int Checkpointer::pass() {
  {
    std::lock_guard lock(wait_mutex_);
    due_ = false;
  }
  std::lock_guard lock(pass_mutex_);
  int log = 0, copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(own_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc == SQLITE_OK) passes_.fetch_add(1, std::memory_order_relaxed);
  return rc;
}

void Checkpointer::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wait_mutex_);
      // The timed wait also catches frames left by a pass that readers held back.
      if (!wake_.wait_for(lock, stop, std::chrono::seconds(5), [&] { return due_; }) &&
          stop.stop_requested()) {
        return;
      }
    }
    pass();  // a failure (SQLITE_BUSY: another process checkpoints) is retried on the next wake
  }
}

}  // namespace hsm2fa::store::sqlite
