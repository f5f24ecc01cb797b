// In-process notice of state changes, so a long poll can sleep on a timer instead of holding a
// thread: the service publishes a key when a challenge is created or answered; a waiter
// subscribes to the key and re-reads the state when told. Delivery across instances (PostgreSQL
// LISTEN/NOTIFY) is a later step; until then waiters also re-check on their own every second.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace hsm2fa::service {

class ChangeFeed : public std::enable_shared_from_this<ChangeFeed> {
 public:
  // Called on the publishing thread, outside the feed's lock: it must only hand work off
  // (post to an executor), never block.
  using Listener = std::function<void()>;

  // Unsubscribes when dropped. Move-only.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(std::weak_ptr<ChangeFeed> feed, std::uint64_t id)
        : feed_(std::move(feed)), id_(id) {}
    Subscription(Subscription&& other) noexcept : feed_(std::move(other.feed_)), id_(other.id_) {
      other.id_ = 0;
    }
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { reset(); }
    void reset() noexcept;

   private:
    std::weak_ptr<ChangeFeed> feed_;
    std::uint64_t id_ = 0;
  };

  static std::shared_ptr<ChangeFeed> make() {
    return std::shared_ptr<ChangeFeed>(new ChangeFeed());
  }

  static std::string challenge_key(std::string_view challenge_id);
  static std::string user_key(std::string_view tenant, std::string_view user);

  // Bumped by every publish: a waiter that read state at version v and sees a later version
  // after subscribing re-reads at once (nothing published in between is lost).
  std::uint64_t version() const noexcept { return version_.load(); }

  Subscription subscribe(std::string key, Listener listener);
  void publish(std::string_view key);
  std::size_t subscribers() const;

 private:
  ChangeFeed() = default;
  void unsubscribe(std::uint64_t id) noexcept;

  mutable std::mutex mutex_;
  std::multimap<std::string, std::pair<std::uint64_t, Listener>, std::less<>> listeners_;
  std::map<std::uint64_t, std::string> keys_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace hsm2fa::service
