// A bounded pool of sessions on one slot, safe for concurrent callers: acquire() hands out an idle
// session, opens a new one while fewer than `bound` are open, and otherwise waits. A session on
// which a call failed with a session- or device-fatal CK_RV is closed when its lease ends, and a
// fresh one is opened on demand.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "handles.hpp"

namespace hsm2fa::hsm {

class SessionPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          session_(std::move(other.session_)),
          broken_(other.broken_),
          last_error_(other.last_error_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    const Session& session() const noexcept { return *session_; }
    CK_SESSION_HANDLE handle() const noexcept { return session_->handle(); }

    template <class... P, class... A>
    CK_RV raw(std::string_view name, CK_RV (*CK_FUNCTION_LIST::*member)(CK_SESSION_HANDLE, P...),
              A... args) {
      CK_RV rv = session_->raw(name, member, args...);
      if (rv != CKR_OK) last_error_ = rv;
      if (breaks_session(rv)) broken_ = true;
      if (broken_ || suggests_lost_login(rv)) pool_->login_suspect_.store(true);
      return rv;
    }
    template <class... P, class... A>
    Status call(std::string_view name, CK_RV (*CK_FUNCTION_LIST::*member)(CK_SESSION_HANDLE, P...),
                A... args) {
      CK_RV rv = raw(name, member, args...);
      if (rv == CKR_OK) return {};
      return Cryptoki::error(name, rv);
    }
    // The CK_RV of the last call through raw()/call() on this lease that failed, or CKR_OK.
    CK_RV last_error() const noexcept { return last_error_; }
    // For failures seen by helpers that call through session() directly.
    void mark_broken_if(const Error& error) noexcept {
      if (error.code == Errc::hsm_unavailable) {
        broken_ = true;
        pool_->login_suspect_.store(true);
      }
    }

   private:
    friend class SessionPool;
    Lease(SessionPool* pool, std::unique_ptr<Session> session)
        : pool_(pool), session_(std::move(session)) {}
    SessionPool* pool_;
    std::unique_ptr<Session> session_;
    bool broken_ = false;
    CK_RV last_error_ = CKR_OK;
  };

  SessionPool(Cryptoki ck, CK_SLOT_ID slot, std::size_t bound)
      : ck_(ck), slot_(slot), bound_(bound == 0 ? 1 : bound) {}
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  Result<Lease> acquire();
  // Stops handing out leases and waits up to `timeout` for every lease to come back; true with
  // the pool empty of leases and closed to acquire() until resume(), false (and open again) on
  // timeout. A lease held across the wait by a thread that then acquires another makes it time
  // out: drain() is for a maintenance thread that can try again later.
  bool drain(std::chrono::milliseconds timeout);
  // Re-opens the pool after a successful drain(), on `slot` (which may have a new id after the
  // module was re-initialised).
  void resume(CK_SLOT_ID slot);
  // Sessions opened from now on are on `slot`.
  void set_slot(CK_SLOT_ID slot);
  // Closes the idle sessions (before a re-login); leased ones are closed when returned.
  void drop_idle();
  std::size_t open_count() const;
  // True once after a call failed in a way that may mean the login is gone; the owner then
  // probes the login before handing out the next lease.
  bool take_login_suspect() noexcept { return login_suspect_.exchange(false); }
  std::size_t in_use_count() const;

 private:
  void give_back(std::unique_ptr<Session> session, bool broken);

  Cryptoki ck_;
  CK_SLOT_ID slot_;
  std::size_t bound_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Session>> idle_;
  std::size_t open_ = 0;  // idle + leased
  std::size_t leased_ = 0;
  bool draining_ = false;
  std::atomic<bool> login_suspect_{false};
  friend class Lease;
};

}  // namespace hsm2fa::hsm
