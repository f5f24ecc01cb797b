// A bounded LRU cache of unwrapped seed keys (wrapped mode), keyed by the full encoded seed ref.
//
// Contracts:
// - Only refs whose MAC the vault has checked may be inserted; any other ref misses. (The
//   wrapped vault checks the MAC on hits too, as its proof that the token still holds its keys.)
// - The objects are session objects created in one owner session that the cache opens and holds,
//   never in a pool session: a pool session may be closed at any time (broken, dropped before a
//   re-login), and its session objects die with it. PKCS#11 makes session objects usable from
//   every session of the process, so the owner's keys are used from leased sessions.
// - Handles are valid for one login only (a logout destroys private session objects). Every
//   lookup compares the token's login epoch with the one the entries were made under and, on a
//   change, forgets them all without destroying (their handles are dead and must never be used)
//   and opens a new owner session.
// - Eviction and forget() destroy the object (C_DestroyObject) once no oracle still holds it.
//   With module recycling on, the cache holds at most half the destroys left before the next
//   recycle (TokenImpl::destroys_before_recycle), so it is nearly empty when the recycle comes.
//   flush() (token trouble, a cached handle that failed) forgets every key without touching its
//   handle and lets the owner session go: closing it destroys all its objects in the token.
// - Thread-safe. Calls on the owner session are serialised by its own mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hsm2fa/hsm/key_cache_stats.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

// One unwrapped key in the owner session; destroyed when the last holder lets go, unless the
// login it belonged to is gone (then its handle is dead, or worse, reused).
class CachedKey {
 public:
  struct Owner;
  CachedKey(std::shared_ptr<Owner> owner, HashAlg alg, CK_OBJECT_HANDLE handle)
      : owner_(std::move(owner)), alg_(alg), handle_(handle) {}
  CachedKey(const CachedKey&) = delete;
  CachedKey& operator=(const CachedKey&) = delete;
  ~CachedKey();

  HashAlg alg() const noexcept { return alg_; }
  CK_OBJECT_HANDLE handle() const noexcept { return handle_; }
  void orphan() noexcept { orphaned_.store(true, std::memory_order_release); }

 private:
  std::shared_ptr<Owner> owner_;
  HashAlg alg_;
  CK_OBJECT_HANDLE handle_;
  std::atomic<bool> orphaned_{false};
};

class KeyCache {
 public:
  // Unwraps into `session` (the owner session) and returns the new object's handle.
  using Unwrap = std::function<Result<CK_OBJECT_HANDLE>(const Session& session)>;

  // capacity 0: disabled (every find misses, insert is not called by the vault).
  KeyCache(std::shared_ptr<TokenImpl> token, std::size_t capacity);
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;
  ~KeyCache();

  std::size_t capacity() const noexcept { return capacity_; }
  // The key cached for `ref`, or nullptr (counted as a miss). Call it after leasing a session
  // (the lease runs the login probe, so a re-login is seen here).
  std::shared_ptr<CachedKey> find(const std::string& ref);
  // Unwraps with `unwrap` in the owner session and caches the key under `ref`, evicting the least
  // recently used entry when full. `lease` tells the slot when no owner session is open yet.
  Result<std::shared_ptr<CachedKey>> insert(const std::string& ref, HashAlg alg,
                                            SessionPool::Lease& lease, const Unwrap& unwrap);
  // Drops `ref`'s key (its credential was deleted or replaced); the object is destroyed.
  void forget(const std::string& ref);
  // Forgets every key and lets the owner session go (see above).
  void flush();
  // Destroys every cached key (C_DestroyObject, each once no oracle holds it); the owner session
  // stays. Counted as evictions.
  void clear();
  KeyCacheStats stats() const;

 private:
  struct Entry {
    std::string ref;
    std::shared_ptr<CachedKey> key;
  };
  using Lru = std::list<Entry>;  // most recently used first

  // Require mutex_. Forget everything without touching a handle (always / when the login epoch
  // moved on).
  void orphan_all_locked(std::vector<std::shared_ptr<CachedKey>>& released);
  void follow_epoch_locked(std::vector<std::shared_ptr<CachedKey>>& released);
  Result<std::shared_ptr<CachedKey::Owner>> owner_for(SessionPool::Lease& lease);

  std::shared_ptr<TokenImpl> token_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<std::string_view, Lru::iterator> index_;  // views into lru_ entries
  std::shared_ptr<CachedKey::Owner> owner_;
  std::uint64_t epoch_ = 0;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, evictions_{0};
};

// An oracle MACing with a cached key on `lease` (any pool session) for its lifetime. A failed
// MAC flushes `cache`: a handle that stopped working must not be handed out again.
std::unique_ptr<HmacOracle> make_cached_key_oracle(SessionPool::Lease lease,
                                                   std::shared_ptr<CachedKey> key,
                                                   std::shared_ptr<KeyCache> cache);

}  // namespace hsm2fa::hsm
