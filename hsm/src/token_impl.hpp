// The Token behind open_token(). Internal to hsm/ (and its tests, which make raw calls through it).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "handles.hpp"
#include "hsm2fa/hsm/token.hpp"
#include "module.hpp"
#include "session_pool.hpp"

namespace hsm2fa::hsm {

class TokenImpl final : public Token {
 public:
  static Result<std::shared_ptr<TokenImpl>> open(const TokenConfig& config);
  ~TokenImpl() override;

  Status check() override;
  TokenStats stats() const override;

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
  Result<CK_OBJECT_HANDLE> key(const std::string& label) { return object(CKO_SECRET_KEY, label); }
  // The same for any object class (the audit key pair's private and public halves).
  Result<CK_OBJECT_HANDLE> object(CK_OBJECT_CLASS object_class, const std::string& label);

 private:
  TokenImpl(TokenConfig config, std::shared_ptr<Module> module, CK_SLOT_ID slot);
  Status login_locked();  // requires login_mutex_

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
      keys_;          // (class, label) -> epoch, handle
  SessionPool pool_;  // declared last: its sessions close before the login and module go
};

// Reads the first line of a PIN file (trailing CR/LF dropped). Errc::config if unreadable/empty.
Result<SecretBytes> read_pin_file(const std::filesystem::path& path);

// Selects the one slot whose token matches the URI; config error if none or several match.
Result<CK_SLOT_ID> select_slot(const Cryptoki& ck, const std::string& uri);

}  // namespace hsm2fa::hsm
