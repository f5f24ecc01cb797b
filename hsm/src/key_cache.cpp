#include "key_cache.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "key_specs.hpp"
#include "token_ops.hpp"

namespace hsm2fa::hsm {

// The session that owns every cached object, and the lock that keeps its calls one at a time.
struct CachedKey::Owner {
  explicit Owner(Session s) : session(std::move(s)) {}
  Session session;
  std::mutex mutex;
};

CachedKey::~CachedKey() {
  if (orphaned_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(owner_->mutex);
  CK_RV rv = owner_->session.raw(HSM2FA_P11(C_DestroyObject), handle_);
  if (rv != CKR_OK) spdlog::warn("key cache: C_DestroyObject: {}", ckr_name(rv));
}

KeyCache::KeyCache(std::shared_ptr<TokenImpl> token, std::size_t capacity)
    : token_(std::move(token)), capacity_(capacity) {}

KeyCache::~KeyCache() { flush(); }

void KeyCache::orphan_all_locked(std::vector<std::shared_ptr<CachedKey>>& released) {
  for (auto& entry : lru_) {
    entry.key->orphan();
    released.push_back(std::move(entry.key));
  }
  index_.clear();
  lru_.clear();
  owner_.reset();
}

void KeyCache::follow_epoch_locked(std::vector<std::shared_ptr<CachedKey>>& released) {
  const std::uint64_t now = token_->login_epoch();
  if (now == epoch_) return;
  orphan_all_locked(released);  // the logout destroyed the objects already
  epoch_ = now;
}

std::shared_ptr<CachedKey> KeyCache::find(const std::string& ref) {
  std::vector<std::shared_ptr<CachedKey>> released;  // destroyed after the lock is gone
  std::lock_guard lock(mutex_);
  follow_epoch_locked(released);
  auto it = index_.find(ref);
  if (it == index_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->second->key;
}

Result<std::shared_ptr<CachedKey::Owner>> KeyCache::owner_for(SessionPool::Lease& lease) {
  {
    std::vector<std::shared_ptr<CachedKey>> released;
    std::lock_guard lock(mutex_);
    follow_epoch_locked(released);
    if (owner_) return owner_;
  }
  CK_SESSION_INFO info{};
  if (auto status = lease.call(HSM2FA_P11(C_GetSessionInfo), &info); !status) {
    return std::move(status).error();
  }
  // The login belongs to the application, so a new session on the slot is already logged in.
  auto session = Session::open(token_->cryptoki(), info.slotID);
  if (!session) return std::move(session).error();
  auto owner = std::make_shared<CachedKey::Owner>(std::move(*session));
  std::lock_guard lock(mutex_);
  if (!owner_) owner_ = owner;
  return owner_;
}

Result<std::shared_ptr<CachedKey>> KeyCache::insert(const std::string& ref, HashAlg alg,
                                                    SessionPool::Lease& lease,
                                                    const Unwrap& unwrap) {
  const std::uint64_t epoch = token_->login_epoch();
  auto owner = owner_for(lease);
  if (!owner) return std::move(owner).error();
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  {
    std::lock_guard lock((*owner)->mutex);
    auto made = unwrap((*owner)->session);
    if (!made) {
      // A dead owner session would fail every miss: open a new one next time.
      if (made.error().code == Errc::hsm_unavailable) {
        std::lock_guard cache_lock(mutex_);
        if (owner_ == *owner) owner_.reset();
      }
      return std::move(made).error();
    }
    handle = *made;
  }
  auto key = std::make_shared<CachedKey>(*owner, alg, handle);

  std::vector<std::shared_ptr<CachedKey>> released;
  std::lock_guard lock(mutex_);
  follow_epoch_locked(released);
  if (epoch != epoch_ || owner_ != *owner) {
    key->orphan();  // made under a login that has since gone: never cache or destroy it
    return key;
  }
  if (auto it = index_.find(ref); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // another thread won: ours is destroyed
    released.push_back(std::move(key));
    return it->second->key;
  }
  lru_.push_front(Entry{ref, key});
  index_.emplace(lru_.front().ref, lru_.begin());
  // With module recycling on, hold at most half the destroys left before the next recycle: the
  // cache runs down one extra key per request as it nears, instead of destroying every key in
  // one burst while traffic waits on the owner session. The key just made always stays.
  const std::uint64_t room = token_->destroys_before_recycle() / 2;
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::uint64_t>(capacity_, room));
  while (lru_.size() > limit) {
    index_.erase(lru_.back().ref);
    released.push_back(std::move(lru_.back().key));
    lru_.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  return key;
}

void KeyCache::forget(const std::string& ref) {
  std::shared_ptr<CachedKey> released;
  std::lock_guard lock(mutex_);
  auto it = index_.find(ref);
  if (it == index_.end()) return;
  auto entry = it->second;
  released = std::move(entry->key);
  index_.erase(it);
  lru_.erase(entry);
}

void KeyCache::clear() {
  std::vector<std::shared_ptr<CachedKey>> released;  // destroyed after the lock is gone
  std::lock_guard lock(mutex_);
  follow_epoch_locked(released);
  released.reserve(lru_.size());
  for (auto& entry : lru_) released.push_back(std::move(entry.key));
  evictions_.fetch_add(lru_.size(), std::memory_order_relaxed);
  index_.clear();
  lru_.clear();
}

void KeyCache::flush() {
  std::vector<std::shared_ptr<CachedKey>> released;
  std::lock_guard lock(mutex_);
  orphan_all_locked(released);
}

KeyCacheStats KeyCache::stats() const {
  KeyCacheStats out;
  out.hits = hits_.load(std::memory_order_relaxed);
  out.misses = misses_.load(std::memory_order_relaxed);
  out.evictions = evictions_.load(std::memory_order_relaxed);
  out.capacity = capacity_;
  std::lock_guard lock(mutex_);
  out.size = lru_.size();
  return out;
}

namespace {

class CachedKeyOracle final : public HmacOracle {
 public:
  CachedKeyOracle(SessionPool::Lease lease, std::shared_ptr<CachedKey> key,
                  std::shared_ptr<KeyCache> cache)
      : lease_(std::move(lease)), key_(std::move(key)), cache_(std::move(cache)) {}
  HashAlg algorithm() const noexcept override { return key_->alg(); }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    std::vector<Mac> macs;
    macs.reserve(counters.size());
    for (std::uint64_t counter : counters) {
      std::uint8_t message[8];
      for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<std::uint8_t>(counter);
      auto mac = sign_mac(lease_, hmac_mechanism(key_->alg()), key_->handle(), message);
      if (!mac) {
        cache_->flush();
        return std::move(mac).error();
      }
      macs.push_back(*mac);
    }
    return macs;
  }

 private:
  // Destroyed bottom-up: the cache reference, the key (maybe destroying it), then the lease.
  SessionPool::Lease lease_;
  std::shared_ptr<CachedKey> key_;
  std::shared_ptr<KeyCache> cache_;
};

}  // namespace

std::unique_ptr<HmacOracle> make_cached_key_oracle(SessionPool::Lease lease,
                                                   std::shared_ptr<CachedKey> key,
                                                   std::shared_ptr<KeyCache> cache) {
  return std::make_unique<CachedKeyOracle>(std::move(lease), std::move(key), std::move(cache));
}

}  // namespace hsm2fa::hsm
