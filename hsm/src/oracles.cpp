#include "oracles.hpp"

#include "token_ops.hpp"

namespace hsm2fa::hsm {
namespace {

Result<std::vector<Mac>> mac_each(SessionPool::Lease& lease, HashAlg alg, CK_OBJECT_HANDLE key,
                                  std::span<const std::uint64_t> counters) {
  std::vector<Mac> macs;
  macs.reserve(counters.size());
  for (std::uint64_t counter : counters) {
    std::uint8_t message[8];
    for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<std::uint8_t>(counter);
    auto mac = sign_mac(lease, hmac_mechanism(alg), key, message);
    if (!mac) return std::move(mac).error();
    macs.push_back(*mac);
  }
  return macs;
}

class TokenKeyOracle final : public HmacOracle {
 public:
  TokenKeyOracle(std::shared_ptr<TokenImpl> token, HashAlg alg, CK_OBJECT_HANDLE key)
      : token_(std::move(token)), alg_(alg), key_(key), epoch_(token_->login_epoch()) {}
  HashAlg algorithm() const noexcept override { return alg_; }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    return token_->with_session_retry([&](SessionPool::Lease& lease) -> Result<std::vector<Mac>> {
      // The handle was found before this lease: after a re-login or re-initialisation it
      // may be dead or name another object. Fail closed; the caller's retry finds it again.
      if (token_->login_epoch() != epoch_) {
        return make_error(Errc::hsm_unavailable, "token session renewed during the HMAC");
      }
      return mac_each(lease, alg_, key_, counters);
    });
  }

 private:
  std::shared_ptr<TokenImpl> token_;
  HashAlg alg_;
  CK_OBJECT_HANDLE key_;
  std::uint64_t epoch_;
};

class SessionKeyOracle final : public HmacOracle {
 public:
  SessionKeyOracle(std::shared_ptr<TokenImpl> token, HashAlg alg, SessionPool::Lease lease,
                   SessionObject key)
      : token_(std::move(token)), alg_(alg), lease_(std::move(lease)), key_(std::move(key)) {}
  HashAlg algorithm() const noexcept override { return alg_; }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    return mac_each(lease_, alg_, key_.handle(), counters);
  }

 private:
  // Destroyed bottom-up: the key, then the lease, then (maybe) the token.
  std::shared_ptr<TokenImpl> token_;
  HashAlg alg_;
  SessionPool::Lease lease_;
  SessionObject key_;
};

class BorrowedKeyOracle final : public HmacOracle {
 public:
  BorrowedKeyOracle(SessionPool::Lease& lease, HashAlg alg, CK_OBJECT_HANDLE key)
      : lease_(lease), alg_(alg), key_(key) {}
  HashAlg algorithm() const noexcept override { return alg_; }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    return mac_each(lease_, alg_, key_, counters);
  }

 private:
  SessionPool::Lease& lease_;
  HashAlg alg_;
  CK_OBJECT_HANDLE key_;
};

}  // namespace

std::unique_ptr<HmacOracle> make_borrowed_key_oracle(SessionPool::Lease& lease, HashAlg alg,
                                                     CK_OBJECT_HANDLE key) {
  return std::make_unique<BorrowedKeyOracle>(lease, alg, key);
}

std::unique_ptr<HmacOracle> make_token_key_oracle(std::shared_ptr<TokenImpl> token, HashAlg alg,
                                                  CK_OBJECT_HANDLE key) {
  return std::make_unique<TokenKeyOracle>(std::move(token), alg, key);
}

std::unique_ptr<HmacOracle> make_session_key_oracle(std::shared_ptr<TokenImpl> token, HashAlg alg,
                                                    SessionPool::Lease lease, SessionObject key) {
  return std::make_unique<SessionKeyOracle>(std::move(token), alg, std::move(lease),
                                            std::move(key));
}

}  // namespace hsm2fa::hsm
