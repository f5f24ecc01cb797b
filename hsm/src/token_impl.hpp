// The Token behind open_token(). Internal to hsm/ (and its tests, which make raw calls through it).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "handles.hpp"
#include "hsm2fa/hsm/token.hpp"
#include "module.hpp"
#include "session_pool.hpp"
#include "token_gate.hpp"

namespace hsm2fa::hsm {

class TokenImpl final : public Token, public std::enable_shared_from_this<TokenImpl> {
 public:
  static Result<std::shared_ptr<TokenImpl>> open(const TokenConfig& config);
  ~TokenImpl() override;

  // probe_login() through the gate (deadline and circuit breaker).
  Status check() override;
  TokenStats stats() const override;

  // The login probe Token::check() documents, run on the caller's thread.
  Status probe_login();
  // Deadline and circuit breaker for the operations callers ask of this token.
  TokenGate& gate() noexcept { return gate_; }

  // Runs `op(lease)` on a pooled session; if it failed because that session was lost (handle
  // invalid, session closed), runs it once more on a fresh session. Only for operations that
  // change nothing in the token (an HMAC, random bytes): a failed C_GenerateKey may have made
  // its key, so it is never retried blindly.
  template <class Op>
  auto with_session_retry(Op op) -> decltype(op(std::declval<SessionPool::Lease&>()));

  // A pooled, logged-in session; waits while all `config.sessions` are leased. After a call
  // failed in a way that suggests a lost login, probes it first (check()), logging in again once
  // if needed.
  Result<SessionPool::Lease> lease();
  // That probe alone: callers about to use cached handles run it first.
  Status recover_if_suspect();
  Cryptoki cryptoki() const noexcept { return Cryptoki(module_->functions(), stats_.get()); }
  const TokenConfig& config() const noexcept { return config_; }
  // Bumped by every re-login: object handles found before it are no longer valid.
  std::uint64_t login_epoch() const noexcept { return epoch_.load(std::memory_order_acquire); }
  // The secret key labelled `label`, found once per login (config error if missing or ambiguous).
  // A handle is valid while the caller holds a lease: find it under one, passing that lease's
  // session as `on` (a search then needs no second session; without `on` it leases its own).
  Result<CK_OBJECT_HANDLE> key(const std::string& label, const Session* on = nullptr) {
    return object(CKO_SECRET_KEY, label, on);
  }
  // The same for any object class (the audit key pair's private and public halves).
  Result<CK_OBJECT_HANDLE> object(CK_OBJECT_CLASS object_class, const std::string& label,
                                  const Session* on = nullptr);
  // Drops a remembered handle (the key was destroyed): the next key(label) searches again.
  void forget_key(const std::string& label);

  // Module recycling (TokenConfig::recycle_after_objects). Before each re-initialisation,
  // `prepare` runs while operations go on (the key cache destroys its keys: objects alive at
  // C_Finalize cost far more to drop than destroyed ones), then `forget` runs with no lease out:
  // it must drop every handle it keeps and close every session it opened itself. Neither may
  // call back into this Token's recycling.
  void on_recycle(std::function<void()> prepare, std::function<void()> forget);
  // Re-initialises the module if every lease comes back within `drain` (new leases wait
  // meanwhile): true when done, false when operations stayed in flight (nothing changed).
  // Handles found before it are dead afterwards (the login epoch moves on). Errors:
  // hsm_unavailable or a login error when the module or the login did not come back (the next
  // lease() tries again), config when the module is shared in this process.
  Result<bool> recycle_module(std::chrono::milliseconds drain);
  // Objects that may still be destroyed before the next recycle is due; the maximum when
  // recycling is off.
  std::uint64_t destroys_before_recycle() const noexcept;

 private:
  TokenImpl(TokenConfig config, std::shared_ptr<Module> module, CK_SLOT_ID slot);
  Status login_locked();         // requires login_mutex_; sets up_ by its outcome
  Status try_login_locked();     // requires login_mutex_
  Status reinitialize_locked();  // requires login_mutex_ and no lease out
  bool recycle_due() const noexcept;
  void recycler_loop(std::stop_token stop);
  void start_recycler();

  TokenConfig config_;
  std::shared_ptr<Module> module_;
  std::unique_ptr<CallStats> stats_;
  CK_SLOT_ID slot_;
  std::mutex login_mutex_;
  std::optional<Session> keeper_;  // keeps the login and private handles alive
  std::optional<Login> login_;
  std::atomic<std::uint64_t> epoch_{0};
  std::atomic<bool> up_{false};
  std::mutex keys_mutex_;
  std::map<std::pair<CK_OBJECT_CLASS, std::string>, std::pair<std::uint64_t, CK_OBJECT_HANDLE>>
      keys_;                           // (class, label) -> epoch, handle
  std::size_t recycle_threshold_ = 0;  // 0: off
  std::atomic<std::uint64_t> objects_at_init_{0};
  std::mutex hooks_mutex_;
  std::vector<std::pair<std::function<void()>, std::function<void()>>> recycle_hooks_;
  std::mutex recycler_mutex_;
  std::condition_variable_any recycler_wake_;
  std::atomic<std::uint64_t> recycles_{0}, recycle_deferrals_{0}, recycle_failures_{0};
  std::atomic<double> last_recycle_seconds_{0};
  std::jthread recycler_;  // stopped first, in ~TokenImpl
  TokenGate gate_;         // its workers stop before the login and module go
  SessionPool pool_;       // declared last: its sessions close before the login and module go
};

template <class Op>
auto TokenImpl::with_session_retry(Op op) -> decltype(op(std::declval<SessionPool::Lease&>())) {
  for (int attempt = 1;; ++attempt) {
    auto lease = this->lease();
    if (!lease) return std::move(lease).error();
    auto result = op(*lease);
    if (result.ok() || attempt == 2 || !loses_session(lease->last_error())) return result;
    // The lease ends here: the lost session is closed, the next lease() re-checks the login.
  }
}

// Reads the first line of a PIN file (trailing CR/LF dropped). Errc::config if unreadable/empty.
Result<SecretBytes> read_pin_file(const std::filesystem::path& path);

// Selects the one slot whose token matches the URI; config error if none or several match.
Result<CK_SLOT_ID> select_slot(const Cryptoki& ck, const std::string& uri);

}  // namespace hsm2fa::hsm
